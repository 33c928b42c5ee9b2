// context_tree: a wide context tree: create n children, cancel them all at once
// (twin: bench/compare/context_tree.cpp).
//
// main makes one WithCancel parent of Background, then n WithCancel children of it,
// keeping every child's Context and CancelFunc in slices allocated beforehand (each
// creation allocates the cancelCtx and the CancelFunc closure and adds the child to
// the parent's children map under the parent's lock).  Then it calls the parent's
// CancelFunc, which cancels every child, and checks each child: its Done channel is
// closed (a select with a default case takes the receive) and its Err is
// context.Canceled.  No child's Done was asked for before the cancel, so cancelling
// closes no channel and Done afterwards hands out the shared closed channel, in both
// twins.  Reported: the creation loop's time divided by n, and the time of the cancel
// call plus the checks, in ms.
//
//	context_tree [--procs=N] [--n=N] [--verbose]
//	RESULT ns_per_child_create <ns> ns
//	RESULT cancel_ms <ms> ms
package main

import (
	"context"
	"fmt"
	"os"

	"gortbench/internal/harness"
)

const defaultChildren = 100_000

func main() {
	n64, verbose := harness.Flags(1, defaultChildren, "children of the parent")
	n := int(n64)

	parent, cancelParent := context.WithCancel(context.Background())
	children := make([]context.Context, n)
	cancels := make([]context.CancelFunc, n)

	start := harness.NowNs()
	for i := range children {
		children[i], cancels[i] = context.WithCancel(parent)
	}
	create := harness.NowNs() - start

	bad := 0 // children not cancelled (must stay 0)
	start = harness.NowNs()
	cancelParent()
	for _, child := range children {
		closed := false
		select {
		case <-child.Done():
			closed = true
		default:
		}
		if !closed || child.Err() != context.Canceled {
			bad++
		}
	}
	cancel := harness.NowNs() - start

	if bad != 0 {
		fmt.Fprintf(os.Stderr, "context_tree: %d of %d children not cancelled\n", bad, n)
		os.Exit(1)
	}
	harness.Result("ns_per_child_create", float64(create)/float64(n), "ns")
	harness.Result("cancel_ms", float64(cancel)/1e6, "ms")
	if verbose {
		harness.PrintStats("cancelled")
	}
	for _, c := range cancels { // as go vet wants; untimed
		c()
	}
}
