package harness

import (
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
)

// Listen is what the network servers of bench/net_compare.py share with their gort
// twins (bench/net/server.hpp): --port (0: any free one) on 127.0.0.1 and --procs
// (GOMAXPROCS; 0 leaves it), then "LISTENING <addr>" on stdout for the driver.
func Listen() net.Listener {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any free one)")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: leave it)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	return ln
}

// Serve runs handle in a goroutine of its own for every connection, forever.
func Serve(ln net.Listener, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go handle(c)
	}
}
