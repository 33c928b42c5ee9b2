// mpmc: many producers, many consumers on one buffered channel (twin: bench/compare/mpmc.cpp).
//
// One channel of capacity 128; 4 producers each send n/4 distinct integers, 4
// consumers receive with range until the channel is closed and drained.  main waits
// for the producers (WaitGroup), closes the channel, waits for the consumers (a second
// WaitGroup) and checks that the consumers' sums add up to 0+1+...+(n-1).
// Reported: the time from spawning to the consumers' end, divided by n.
//
//	mpmc [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_item <ns> ns
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"gortbench/internal/harness"
)

const (
	defaultItems = 10_000_000
	capacity     = 128
	producerN    = 4
	consumerN    = 4
)

func main() {
	nFlag, verbose := harness.Flags(2, defaultItems, "items")
	perProducer := nFlag / producerN
	n := perProducer * producerN

	ch := make(chan int64, capacity)
	var producers, consumers sync.WaitGroup
	var sums [consumerN]int64 // one slot per consumer, written once at its end
	start := time.Now()
	producers.Add(producerN)
	for p := 0; p < producerN; p++ {
		go func(p int64) {
			for i, end := p*perProducer, (p+1)*perProducer; i < end; i++ {
				ch <- i
			}
			producers.Done()
		}(int64(p))
	}
	consumers.Add(consumerN)
	for c := 0; c < consumerN; c++ {
		go func(c int) {
			var sum int64
			for v := range ch {
				sum += v
			}
			sums[c] = sum
			consumers.Done()
		}(c)
	}
	producers.Wait()
	close(ch)
	consumers.Wait()
	elapsed := time.Since(start)
	var total int64
	for _, s := range sums {
		total += s
	}
	if total != n*(n-1)/2 {
		fmt.Fprintf(os.Stderr, "mpmc: sum %d, want %d\n", total, n*(n-1)/2)
		os.Exit(1)
	}
	harness.Result("ns_per_item", float64(elapsed.Nanoseconds())/float64(n), "ns")
	if verbose {
		harness.PrintStats("joined")
	}
}
