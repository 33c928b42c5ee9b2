// skynet: the skynet benchmark (twin: bench/compare/skynet.cpp; after
// github.com/atemerev/skynet, Go version).
//
// A 10-ary tree of goroutines with n leaves (n a power of 10; 1,000,000 by default,
// so 1,111,111 goroutines in all).  Each inner node makes an unbuffered channel,
// spawns its 10 children with it, receives their 10 sums and sends its own sum up its
// parent's channel; leaf k sends k.  main spawns the root and receives the total,
// which must be 0+1+...+(n-1) (499999500000 for a million).
// Reported: the time from spawning the root to receiving the total, in ms.
//
//	skynet [--procs=N] [--n=N] [--verbose]
//	RESULT ms_total <ms> ms
package main

import (
	"fmt"
	"os"
	"time"

	"gortbench/internal/harness"
)

const (
	defaultLeaves = 1_000_000
	fanOut        = 10
)

func skynet(c chan int64, num, size, div int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	for i := int64(0); i < div; i++ {
		subNum := num + i*(size/div)
		go skynet(rc, subNum, size/div, div)
	}
	var sum int64
	for i := int64(0); i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

func main() {
	n, verbose := harness.Flags(1, defaultLeaves, "leaves (a power of 10)")

	c := make(chan int64)
	start := time.Now()
	go skynet(c, 0, n, fanOut)
	result := <-c
	elapsed := time.Since(start)
	if result != n*(n-1)/2 {
		fmt.Fprintf(os.Stderr, "skynet: result %d, want %d\n", result, n*(n-1)/2)
		os.Exit(1)
	}
	if verbose {
		fmt.Fprintf(os.Stderr, "skynet: result %d\n", result)
	}
	harness.Result("ms_total", float64(elapsed.Nanoseconds())/1e6, "ms")
	if verbose {
		harness.PrintStats("done")
	}
}
