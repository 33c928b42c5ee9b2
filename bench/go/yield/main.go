// yield: two goroutines yielding to each other on one P (twin: bench/compare/yield.cpp).
//
// Each of the two calls runtime.Gosched() n times; main waits for both on a
// WaitGroup.  Reported: the total time divided by the total number of yields (2n).
//
//	yield [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_yield <ns> ns
package main

import (
	"runtime"
	"sync"
	"time"

	"gortbench/internal/harness"
)

const (
	defaultYields = 1_000_000 // per goroutine: ~0.1 s of Go's 65 ns yields
	yielders      = 2
)

func main() {
	n64, verbose := harness.Flags(1, defaultYields, "yields per goroutine")
	n := int(n64)

	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < yielders; g++ {
		wg.Add(1)
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	harness.Result("ns_per_yield", float64(elapsed.Nanoseconds())/float64(yielders*n), "ns")
	if verbose {
		harness.PrintStats("joined")
	}
}
