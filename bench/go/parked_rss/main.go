// parked_rss: resident memory per parked goroutine (twin: bench/compare/parked_rss.cpp).
//
// n goroutines each call started.Done() and then park on a shared gate (a WaitGroup
// with count 1, as in the gort twin, which has no channels yet).  Once all have
// started, and after a short pause, RSS is read again:
//
//	KiB per goroutine = (RSS parked - RSS before spawning) / n
//
// Then the gate opens and all are joined.  Run each n in a fresh process.  Also
// reported: the time to spawn and park them, per goroutine.
//
//	parked_rss [--procs=N] [--n=N] [--verbose]
//	RESULT kib_per_goroutine <KiB> KiB
//	RESULT park_ns_per_goroutine <ns> ns
package main

import (
	"sync"
	"time"

	"gortbench/internal/harness"
)

const (
	defaultGoroutines = 100_000 // issue "Foundation 2": 100,000 and 1,000,000
	// The same pause as the gort twin's, so the last goroutines have finished parking.
	settle = 20 * time.Millisecond
	kib    = 1024.0
)

type gates struct {
	started  sync.WaitGroup // each goroutine: Done() right before it parks
	gate     sync.WaitGroup // count 1 while the goroutines must stay parked
	finished sync.WaitGroup // joins them
}

func main() {
	n64, verbose := harness.Flags(1, defaultGoroutines, "goroutines")
	n := int(n64)

	s := &gates{}
	s.gate.Add(1)
	s.started.Add(n)
	s.finished.Add(n)
	if verbose {
		harness.PrintStats("before")
	}
	rssBefore := harness.RSSBytes()
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			s.started.Done()
			s.gate.Wait()
			s.finished.Done()
		}()
	}
	s.started.Wait()
	elapsed := time.Since(start)
	time.Sleep(settle)
	rssParked := harness.RSSBytes()
	if verbose {
		harness.PrintStats("parked")
	}
	harness.Result("kib_per_goroutine", float64(rssParked-rssBefore)/kib/float64(n), "KiB")
	harness.Result("park_ns_per_goroutine", float64(elapsed.Nanoseconds())/float64(n), "ns")
	s.gate.Done()
	s.finished.Wait()
	if verbose {
		harness.PrintStats("joined")
	}
}
