// rwmutex_read_mostly: eight goroutines on one RWMutex, 95% readers, 5% writers
// (twin: bench/compare/rwmutex_read_mostly.cpp).
//
// One sync.RWMutex guarding one shared value.  main spawns 8 goroutines; goroutine g
// draws n numbers from SplitMix64 seeded with seed + g (the same draws as the gort
// twin) and for each does one operation: if draw % 100 < 5, a write (Lock, value++,
// Unlock), otherwise a read (RLock, add value to a local sum, RUnlock).  main waits
// on a WaitGroup and checks that the value equals the number of writes the
// goroutines counted.  Reported: the time from spawning the goroutines to the return
// of Wait, divided by 8*n.
//
//	rwmutex_read_mostly [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_op <ns> ns
package main

import (
	"fmt"
	"os"
	"sync"

	"gortbench/internal/harness"
)

const (
	defaultOpsPerGoroutine = 1_000_000
	goroutines             = 8
	seed                   = 20240601
	writePercent           = 5 // the issue: 95% reads, 5% writes
)

// tally is what one goroutine did, written once at its end.
type tally struct {
	writes  int64
	readSum int64 // the values its reads saw, added up (keeps the reads)
}

func main() {
	n, verbose := harness.Flags(1, defaultOpsPerGoroutine, "operations per goroutine")

	count := n
	total := count * goroutines
	var mu sync.RWMutex
	var value int64 // guarded by mu
	var tallies [goroutines]tally
	var wg sync.WaitGroup
	start := harness.NowNs()
	wg.Add(goroutines)
	for g := 0; g < goroutines; g++ {
		go func(g int) {
			rng := harness.NewSplitMix64(seed + uint64(g))
			var t tally
			for i := int64(0); i < count; i++ {
				if rng.Next()%100 < writePercent {
					mu.Lock()
					value++
					mu.Unlock()
					t.writes++
				} else {
					mu.RLock()
					t.readSum += value
					mu.RUnlock()
				}
			}
			tallies[g] = t
			wg.Done()
		}(g)
	}
	wg.Wait()
	elapsed := harness.NowNs() - start
	var writes, readSum int64
	for _, t := range tallies {
		writes += t.writes
		readSum += t.readSum
	}
	mu.RLock()
	finalValue := value
	mu.RUnlock()
	if finalValue != writes {
		fmt.Fprintf(os.Stderr, "rwmutex_read_mostly: value is %d, want %d (the writes)\n", finalValue, writes)
		os.Exit(1)
	}
	harness.Result("ns_per_op", float64(elapsed)/float64(total), "ns")
	if verbose {
		fmt.Fprintf(os.Stderr, "rwmutex_read_mostly: %d writes, %d reads, read sum %d\n", writes, total-writes, readSum)
		harness.PrintStats("joined")
	}
}
