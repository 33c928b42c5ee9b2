// mutex_uncontended: the fast path of Mutex: lock and unlock with nobody else around
// (twin: bench/compare/mutex_uncontended.cpp).
//
// main, the only goroutine, locks a sync.Mutex, increments the counter it guards and
// unlocks, n times, and checks that the counter is n.  Every Lock is its inlined
// compare-and-swap and every Unlock its inlined atomic add.  Reported: the loop's
// time divided by n.
//
// The gort twin also reports std_mutex_ns_per_lock, the same loop over a C++
// std::mutex; Go has no counterpart, so this twin does not print that metric
// (compare.py lists it as gort-only and shows "-" in the Go column).
//
//	mutex_uncontended [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_lock <ns> ns
package main

import (
	"fmt"
	"os"
	"sync"

	"gortbench/internal/harness"
)

const defaultLocks = 10_000_000

// lockLoop does n times: Lock, counter++, Unlock.  It returns the counter, which
// must be n.
func lockLoop(mu *sync.Mutex, n int64) int64 {
	var counter int64 // guarded by mu
	for i := int64(0); i < n; i++ {
		mu.Lock()
		counter++
		mu.Unlock()
	}
	return counter
}

func main() {
	n, verbose := harness.Flags(1, defaultLocks, "lock+unlock pairs")

	var mu sync.Mutex
	start := harness.NowNs()
	count := lockLoop(&mu, n)
	elapsed := harness.NowNs() - start
	if count != n {
		fmt.Fprintf(os.Stderr, "mutex_uncontended: counter is %d, want %d\n", count, n)
		os.Exit(1)
	}
	harness.Result("ns_per_lock", float64(elapsed)/float64(n), "ns")
	if verbose {
		harness.PrintStats("done")
	}
}
