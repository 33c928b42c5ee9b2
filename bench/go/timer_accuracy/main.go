// timer_accuracy: how late a lone sleeper wakes on an idle runtime
// (twin: bench/compare/timer_accuracy.cpp).
//
// One goroutine (main), nothing else running: it sleeps 1 ms n times, then 5 ms n
// times, then 20 ms n times.  Each time it reads the clock before and after the
// sleep; lateness = wake time - (first reading + duration).  Reported over all 3n
// sleeps: the 50th and 99th percentiles (nearest rank), the minimum and the maximum;
// and the 99th percentile per duration.
//
//	timer_accuracy [--procs=N] [--n=N] [--verbose]
//	RESULT lateness_p50_us <us> us      (also lateness_p99_us, lateness_min_us,
//	...                                   lateness_max_us, lateness_p99_{1,5,20}ms_us)
package main

import (
	"fmt"
	"os"
	"time"

	"gortbench/internal/harness"
)

const defaultSleepsPerDuration = 200

var sleepMs = []int64{1, 5, 20}

func main() {
	n, verbose := harness.Flags(1, defaultSleepsPerDuration, "sleeps per duration")

	var all []int64
	for _, ms := range sleepMs {
		var latenessNs []int64
		for i := int64(0); i < n; i++ {
			d := time.Duration(ms * 1_000_000)
			deadline := harness.NowNs() + int64(d)
			time.Sleep(d)
			latenessNs = append(latenessNs, harness.NowNs()-deadline)
		}
		all = append(all, latenessNs...)
		harness.Result(fmt.Sprintf("lateness_p99_%dms_us", ms), float64(harness.Percentile(latenessNs, 99))/1e3, "us")
		if verbose {
			fmt.Fprintf(os.Stderr, "timer_accuracy: %d ms: p50 %d ns, min %d ns, max %d ns\n",
				ms, harness.Percentile(latenessNs, 50), latenessNs[0], latenessNs[len(latenessNs)-1])
		}
	}
	harness.Result("lateness_p50_us", float64(harness.Percentile(all, 50))/1e3, "us")
	harness.Result("lateness_p99_us", float64(harness.Percentile(all, 99))/1e3, "us")
	harness.Result("lateness_min_us", float64(all[0])/1e3, "us") // sorted
	harness.Result("lateness_max_us", float64(all[len(all)-1])/1e3, "us")
	if verbose {
		harness.PrintStats("done")
	}
}
