// sleepers: many goroutines sleeping at once: how late do they wake
// (twin: bench/compare/sleepers.cpp).
//
// main draws n durations, uniform in [1 ms, 100 ms] at microsecond granularity, from
// SplitMix64 with a fixed seed (the same numbers as the gort twin), then spawns n
// goroutines.  Goroutine i reads the clock, sleeps for duration i, reads the clock
// again and records its lateness: wake time - (first reading + duration).  main waits
// on a WaitGroup.  Reported: the time from the first spawn to the return of Wait, and
// the 50th and 99th percentiles (nearest rank) and the maximum of the lateness.
//
//	sleepers [--procs=N] [--n=N] [--verbose]
//	RESULT total_ms <ms> ms
//	RESULT lateness_p50_us <us> us
//	RESULT lateness_p99_us <us> us
//	RESULT lateness_max_us <us> us
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"gortbench/internal/harness"
)

const (
	defaultSleepers = 100_000
	seed            = 20240601
	minSleepUs      = 1_000   // 1 ms
	maxSleepUs      = 100_000 // 100 ms
)

func main() {
	n64, verbose := harness.Flags(1, defaultSleepers, "sleeping goroutines")
	n := int(n64)

	sleepUs := make([]int64, n)
	rng := harness.NewSplitMix64(seed)
	for i := range sleepUs {
		sleepUs[i] = rng.Between(minSleepUs, maxSleepUs)
	}
	latenessNs := make([]int64, n)
	beganNs := make([]int64, n) // when each called Sleep (--verbose)
	var wg sync.WaitGroup
	start := harness.NowNs()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			d := time.Duration(sleepUs[i] * 1000)
			began := harness.NowNs()
			deadline := began + int64(d)
			beganNs[i] = began
			time.Sleep(d)
			latenessNs[i] = harness.NowNs() - deadline
			wg.Done()
		}(i)
	}
	spawned := harness.NowNs() - start
	wg.Wait()
	elapsed := harness.NowNs() - start
	harness.Result("total_ms", float64(elapsed)/1e6, "ms")
	harness.Result("lateness_p50_us", float64(harness.Percentile(latenessNs, 50))/1e3, "us")
	harness.Result("lateness_p99_us", float64(harness.Percentile(latenessNs, 99))/1e3, "us")
	harness.Result("lateness_max_us", float64(latenessNs[len(latenessNs)-1])/1e3, "us") // sorted
	if verbose {
		first, last := beganNs[0], beganNs[0]
		for _, b := range beganNs {
			if b < first {
				first = b
			}
			if b > last {
				last = b
			}
		}
		fmt.Fprintf(os.Stderr, "sleepers: spawn loop %.1f ms, first sleep began at %.1f ms, last at %.1f ms, "+
			"lateness min %d ns\n", float64(spawned)/1e6, float64(first-start)/1e6, float64(last-start)/1e6, latenessNs[0])
		harness.PrintStats("joined")
	}
}
