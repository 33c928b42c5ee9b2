// timer_churn: the cost of arming and disarming timers that never fire
// (twin: bench/compare/timer_churn.cpp).
//
// Two loops in main, n iterations each:
//  1. create + stop: t := time.NewTimer(time.Hour); t.Stop()
//  2. reset: one Timer, t.Reset(time.Hour) n times
//
// The hour-long timers never fire.  Reported: each loop's time divided by n.
//
//	timer_churn [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_create_stop <ns> ns
//	RESULT ns_per_reset <ns> ns
package main

import (
	"fmt"
	"os"
	"time"

	"gortbench/internal/harness"
)

const (
	defaultOps = 1_000_000
	never      = time.Hour
)

func main() {
	n, verbose := harness.Flags(1, defaultOps, "operations per loop")

	var stopped int64 // Stop results that were true: must be n
	start := harness.NowNs()
	for i := int64(0); i < n; i++ {
		t := time.NewTimer(never)
		if t.Stop() {
			stopped++
		}
	}
	createStop := harness.NowNs() - start

	var active int64 // Reset results that were true: must be n
	t := time.NewTimer(never)
	start = harness.NowNs()
	for i := int64(0); i < n; i++ {
		if t.Reset(never) {
			active++
		}
	}
	reset := harness.NowNs() - start
	t.Stop()

	if stopped != n || active != n {
		fmt.Fprintf(os.Stderr, "timer_churn: %d stops and %d resets found the timer active, want %d\n", stopped, active, n)
		os.Exit(1)
	}
	harness.Result("ns_per_create_stop", float64(createStop)/float64(n), "ns")
	harness.Result("ns_per_reset", float64(reset)/float64(n), "ns")
	if verbose {
		harness.PrintStats("done")
	}
}
