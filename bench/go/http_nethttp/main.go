// A reference row for bench/net_compare.py: the same hello answer from Go's net/http,
// the server a Go programmer would write first.
package main

import (
	"net/http"

	"gortbench/internal/harness"
)

func main() {
	ln := harness.Listen()
	body := []byte("Hello, World!")
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	}))
}
