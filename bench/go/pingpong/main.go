// pingpong: round trips over two unbuffered channels (twin: bench/compare/pingpong.cpp).
//
// Two goroutines and two unbuffered channels, ping and pong.  The pinger sends i on
// ping and receives it back on pong, n times; the ponger receives on ping and sends
// the value back on pong.  One round trip = one send each way.  main waits for both
// on a WaitGroup; reported: the time from spawning them to the return of Wait,
// divided by n.
//
//	pingpong [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_roundtrip <ns> ns
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"gortbench/internal/harness"
)

const defaultRoundTrips = 1_000_000

func main() {
	n, verbose := harness.Flags(1, defaultRoundTrips, "round trips")

	ping := make(chan int64)
	pong := make(chan int64)
	var wg sync.WaitGroup
	var bad int64 // values that came back wrong (must stay 0)
	count := n
	start := time.Now()
	wg.Add(2)
	go func() {
		for i := int64(0); i < count; i++ {
			ping <- i
			if <-pong != i {
				bad++
			}
		}
		wg.Done()
	}()
	go func() {
		for i := int64(0); i < count; i++ {
			pong <- <-ping
		}
		wg.Done()
	}()
	wg.Wait()
	elapsed := time.Since(start)
	if bad != 0 {
		fmt.Fprintf(os.Stderr, "pingpong: %d values came back wrong\n", bad)
		os.Exit(1)
	}
	harness.Result("ns_per_roundtrip", float64(elapsed.Nanoseconds())/float64(count), "ns")
	if verbose {
		harness.PrintStats("joined")
	}
}
