// select: one receiver selecting over four unbuffered channels fed by four senders
// (twin: bench/compare/select.cpp).
//
// Sender k sends n/4 integers on its own unbuffered channel; the receiver runs n
// selects, each with one receive case per channel, and sums what it gets.  main waits
// for all five on a WaitGroup and checks the sum.  Reported: the time from spawning to
// the return of Wait, divided by n.
//
//	select [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_message <ns> ns
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"gortbench/internal/harness"
)

const (
	defaultMessages = 2_000_000
	senders         = 4
)

func main() {
	nFlag, verbose := harness.Flags(1, defaultMessages, "messages")
	perSender := nFlag / senders
	n := perSender * senders

	var chans [senders]chan int64
	for k := range chans {
		chans[k] = make(chan int64)
	}
	var wg sync.WaitGroup
	var sum int64
	start := time.Now()
	wg.Add(senders + 1)
	for k := 0; k < senders; k++ {
		go func(ch chan int64, k int64) {
			for i, end := k*perSender, (k+1)*perSender; i < end; i++ {
				ch <- i
			}
			wg.Done()
		}(chans[k], int64(k))
	}
	go func() {
		var s int64
		for i := int64(0); i < n; i++ {
			select {
			case v := <-chans[0]:
				s += v
			case v := <-chans[1]:
				s += v
			case v := <-chans[2]:
				s += v
			case v := <-chans[3]:
				s += v
			}
		}
		sum = s
		wg.Done()
	}()
	wg.Wait()
	elapsed := time.Since(start)
	if sum != n*(n-1)/2 {
		fmt.Fprintf(os.Stderr, "select: sum %d, want %d\n", sum, n*(n-1)/2)
		os.Exit(1)
	}
	harness.Result("ns_per_message", float64(elapsed.Nanoseconds())/float64(n), "ns")
	if verbose {
		harness.PrintStats("joined")
	}
}
