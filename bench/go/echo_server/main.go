// The Go twin of bench/net/echo_server.cpp: echoes every byte back, one goroutine per
// connection, a 16 KiB buffer each.
package main

import (
	"net"

	"gortbench/internal/harness"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16384)
	for {
		n, err := c.Read(buf)
		if n <= 0 || err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func main() {
	harness.Serve(harness.Listen(), serve)
}
