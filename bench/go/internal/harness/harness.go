// Package harness is what every Go twin of a comparison pair shares with its gort
// twin (bench/compare/harness.hpp): the RESULT protocol and RSS.
//
// The protocol (read by bench/compare.py): a measurement is one stdout line
//
//	RESULT <metric> <value> <unit>
//
// with the same metric name and unit in both twins.  Diagnostics go to stderr
// (-verbose prints runtime figures there).  Flags use Go's flag package, which
// accepts the --name=value form that compare.py passes to both twins.
package harness

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Result prints one measurement line.
func Result(metric string, value float64, unit string) {
	fmt.Printf("RESULT %s %s %s\n", metric, strconv.FormatFloat(value, 'g', 6, 64), unit)
}

// RSSBytes is the resident set size: the second field of /proc/self/statm, in pages.
func RSSBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// pageTableBytes is VmPTE from /proc/self/status, which RSS does not include.
func pageTableBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "VmPTE:" {
			kib, _ := strconv.ParseInt(fields[1], 10, 64)
			return kib * 1024
		}
	}
	return 0
}

// PrintStats writes the runtime's figures to stderr, the counterpart of gort::stats().
func PrintStats(when string) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "go.stats[%s] goroutines=%d procs=%d stack_inuse=%d KiB heap_inuse=%d KiB sys=%d KiB gc=%d rss=%d KiB pte=%d KiB\n",
		when, runtime.NumGoroutine(), runtime.GOMAXPROCS(0), ms.StackInuse/1024, ms.HeapInuse/1024,
		ms.Sys/1024, ms.NumGC, RSSBytes()/1024, pageTableBytes()/1024)
}
