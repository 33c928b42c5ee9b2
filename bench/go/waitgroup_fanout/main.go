// waitgroup_fanout: fan out n goroutines, fan in on one WaitGroup
// (twin: bench/compare/waitgroup_fanout.cpp).
//
// One round: main calls wg.Add(n), spawns n goroutines, each of which increments a
// shared atomic counter and calls wg.Done, then main waits.  The last Done wakes
// main, the only waiter.  10 rounds in one process, reusing the WaitGroup, to
// average out the noise of one round; at the end main checks that the counter is
// 10*n.  Reported: the time of the 10 rounds divided by 10*n.
//
//	waitgroup_fanout [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_goroutine <ns> ns
package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"gortbench/internal/harness"
)

const (
	defaultGoroutinesPerRound = 100_000
	rounds                    = 10
)

func main() {
	n, verbose := harness.Flags(1, defaultGoroutinesPerRound, "goroutines per round")

	count := n
	total := count * rounds
	var counter atomic.Int64
	var wg sync.WaitGroup
	start := harness.NowNs()
	for round := 0; round < rounds; round++ {
		wg.Add(int(count))
		for i := int64(0); i < count; i++ {
			go func() {
				counter.Add(1)
				wg.Done()
			}()
		}
		wg.Wait()
	}
	elapsed := harness.NowNs() - start
	if counter.Load() != total {
		fmt.Fprintf(os.Stderr, "waitgroup_fanout: counter is %d, want %d\n", counter.Load(), total)
		os.Exit(1)
	}
	harness.Result("ns_per_goroutine", float64(elapsed)/float64(total), "ns")
	if verbose {
		harness.PrintStats("joined")
	}
}
