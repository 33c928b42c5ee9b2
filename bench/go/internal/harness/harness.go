// Package harness is what every Go twin of a comparison pair shares with its gort
// twin (bench/compare/harness.hpp): the RESULT protocol, RSS, and the helpers whose
// results must match bit for bit across the twins (SplitMix64, Percentile).
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
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
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

// SplitMix64 is a deterministic pseudo-random sequence, bit for bit the same as the
// gort twin's bench::SplitMix64, so both twins draw the same numbers from one seed.
type SplitMix64 struct{ state uint64 }

// NewSplitMix64 starts the sequence at seed.
func NewSplitMix64(seed uint64) *SplitMix64 { return &SplitMix64{state: seed} }

// Next is the next 64-bit number.
func (s *SplitMix64) Next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Between is a number in [lo, hi]: Next() modulo the width (the bias is negligible here).
func (s *SplitMix64) Between(lo, hi int64) int64 {
	return lo + int64(s.Next()%uint64(hi-lo+1))
}

// Percentile is the p-th percentile (0 < p <= 100) by nearest rank: the smallest
// sample with at least p% of the samples at or below it.  Sorts xs.  Same rule as
// bench::percentile.
func Percentile(xs []int64, p float64) int64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	rank := int(math.Ceil(p / 100.0 * float64(len(xs))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(xs) {
		rank = len(xs)
	}
	return xs[rank-1]
}

var epoch = time.Now()

// NowNs reads the monotonic clock, in ns since the program started: the counterpart
// of bench::now_ns (time.Since of a fixed time.Now uses only the monotonic reading).
func NowNs() int64 { return int64(time.Since(epoch)) }

// Flags parses the flags every twin takes, as bench::Flags does for the gort twins:
// --procs (GOMAXPROCS, set here; default defaultProcs), --n (default defaultN) and
// --verbose.  It returns n and verbose.
func Flags(defaultProcs int, defaultN int64, nUsage string) (int64, bool) {
	procs := flag.Int("procs", defaultProcs, "GOMAXPROCS")
	n := flag.Int64("n", defaultN, nUsage)
	verbose := flag.Bool("verbose", false, "runtime figures on stderr")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	return *n, *verbose
}
