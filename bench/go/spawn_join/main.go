// spawn_join: spawn and join a million goroutines (twin: bench/compare/spawn_join.cpp).
//
// main does wg.Add(1) + go f() n times, where f only calls wg.Done(), then wg.Wait().
// The time from the first Add to the return of Wait, divided by n, is the cost of one
// goroutine's whole life.  Nothing is warmed up: both runtimes start cold.
//
//	spawn_join [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_goroutine <ns> ns
package main

import (
	"sync"
	"time"

	"gortbench/internal/harness"
)

const defaultGoroutines = 1_000_000 // issue "Foundation 2"

func main() {
	n64, verbose := harness.Flags(1, defaultGoroutines, "goroutines")
	n := int(n64)

	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
	}
	wg.Wait()
	elapsed := time.Since(start)
	harness.Result("ns_per_goroutine", float64(elapsed.Nanoseconds())/float64(n), "ns")
	if verbose {
		harness.PrintStats("joined")
	}
}
