// The Go twin of bench/net/http_hello.cpp: a minimal HTTP/1.1 keep-alive server on
// Go's net package (no net/http), answering every request with the same 13-byte body.
// Both twins parse the same way: a request ends at the first blank line; pipelined
// requests in one read are all answered with one write.
package main

import (
	"bytes"
	"net"

	"gortbench/internal/harness"
)

var response = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!")

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 8192)
	have := 0
	out := make([]byte, 0, 8*len(response))
	for {
		if have == len(buf) {
			return // a request larger than the buffer: not this benchmark's traffic
		}
		n, err := c.Read(buf[have:])
		if n <= 0 || err != nil {
			return
		}
		have += n
		out = out[:0]
		start := 0
		for {
			end := bytes.Index(buf[start:have], []byte("\r\n\r\n"))
			if end < 0 {
				break
			}
			start += end + 4
			out = append(out, response...)
		}
		copy(buf, buf[start:have])
		have -= start
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

func main() {
	harness.Serve(harness.Listen(), serve)
}
