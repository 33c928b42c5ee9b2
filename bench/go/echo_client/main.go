// The load generator of the echo pair (bench/net_compare.py): the same program, run
// unchanged against the gort and the Go echo servers.  --conns connections each send
// a --size-byte message and wait for all of it to come back, over and over, for
// --seconds; it reports round trips per second and latency percentiles.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"gortbench/internal/harness"
)

func main() {
	addr := flag.String("addr", "", "server address")
	conns := flag.Int("conns", 100, "connections")
	size := flag.Int("size", 64, "message bytes")
	seconds := flag.Float64("seconds", 5, "duration")
	procs := flag.Int("procs", 1, "GOMAXPROCS of the client")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	if *addr == "" {
		fmt.Fprintln(os.Stderr, "--addr is required")
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	failed := 0
	start := time.Now()
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", *addr)
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				return
			}
			defer c.Close()
			msg := make([]byte, *size)
			back := make([]byte, *size)
			var lat []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if _, err := c.Write(msg); err != nil {
					break
				}
				if _, err := io.ReadFull(c, back); err != nil {
					break
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "%d connections failed\n", failed)
	}
	ns := make([]int64, len(all))
	for i, d := range all {
		ns[i] = d.Nanoseconds()
	}
	harness.Result("roundtrips_per_s", float64(len(all))/elapsed, "1/s")
	harness.Result("latency_p50_us", float64(harness.Percentile(ns, 50))/1000, "us")
	harness.Result("latency_p99_us", float64(harness.Percentile(ns, 99))/1000, "us")
}
