// mutex_contended: eight goroutines hammering one Mutex (twin: bench/compare/mutex_contended.cpp).
//
// One sync.Mutex guarding one counter.  main spawns 8 goroutines; each locks the
// mutex, increments the counter and unlocks, n times.  With several Ps the
// goroutines contend (spin, park in sync.Mutex.Lock, wake, starvation mode after
// 1 ms); on one P they run one after another, except that the scheduler preempts a
// goroutine every 10 ms or so, and one preempted while holding the mutex makes the
// others park until it runs again (gort's cooperative scheduler never preempts).
// main waits for them on a WaitGroup and checks that the counter is 8*n.  Reported:
// the time from spawning the goroutines to the return of Wait, divided by 8*n.
//
//	mutex_contended [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_lock <ns> ns
package main

import (
	"fmt"
	"os"
	"sync"

	"gortbench/internal/harness"
)

const (
	defaultLocksPerGoroutine = 1_000_000
	goroutines               = 8
)

func main() {
	n, verbose := harness.Flags(1, defaultLocksPerGoroutine, "lock+unlock pairs per goroutine")

	count := n
	total := count * goroutines
	var mu sync.Mutex
	var counter int64 // guarded by mu
	var wg sync.WaitGroup
	start := harness.NowNs()
	wg.Add(goroutines)
	for g := 0; g < goroutines; g++ {
		go func() {
			for i := int64(0); i < count; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	elapsed := harness.NowNs() - start
	mu.Lock()
	finalCount := counter
	mu.Unlock()
	if finalCount != total {
		fmt.Fprintf(os.Stderr, "mutex_contended: counter is %d, want %d\n", finalCount, total)
		os.Exit(1)
	}
	harness.Result("ns_per_lock", float64(elapsed)/float64(total), "ns")
	if verbose {
		harness.PrintStats("joined")
	}
}
