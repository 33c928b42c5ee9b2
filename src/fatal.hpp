// fatal.hpp -- the runtime's two ways to end the process (panic.cpp).
//
// Three error tiers are never mixed (STYLE.md): misuse by the caller is a panic with
// Go's text (thrown as gort::Panic); expected outcomes are return values; a broken
// invariant, or one of Go's fatal conditions (deadlock, stack overflow, unlock of an
// unlocked mutex), is fatal(): not recoverable, exit status 2.
#pragma once

#include <cstddef>
#include <exception>

namespace gort::detail {

struct G;

// Prints "fatal error: <msg>", then every goroutine, and exits with status 2.
// sched_locked: the caller holds sched.lock (the dump then reads without taking it).
[[noreturn]] void fatal(const char* msg, bool sched_locked = false);

// Go's print-then-throw for resource exhaustion: `why` (whole lines, "runtime: ..."
// with the numbers the constant message cannot hold: sizes, errno, the limit to
// raise) goes out just before "fatal error: <msg>", within the same single report.
// The caller must not hold sched.lock (the report freezes the other Ms and takes it).
[[noreturn]] void fatal_explained(const char* why, const char* msg);

// A thread for an M or for sysmon could not be started (std::thread threw: err is
// pthread_create's error): Go's newosproc report, exit status 2.  `have`: the
// runtime's threads that exist.  The caller must not hold sched.lock.
[[noreturn]] void fatal_newosproc(int err, std::size_t have);

// An exception escaped goroutine gp: Go's unrecovered-panic report, exit status 2,
// listing the panics deferred calls raised while it unwound.  Inside the catch block.
[[noreturn]] void fatal_panic(G* gp, std::exception_ptr e);

// A deferred call of gp panicked while goexit unwound it (caught GoexitUnwind): Go's
// unrecovered-panic report of that panic; returns if there was none.  Inside the
// catch block.
void fatal_if_deferred_panic(G* gp);

// Go's freezetheworld, before a report that ends the process: every other M parks
// for good at its next scheduling point (freeze_park, from find_runnable), and the
// caller waits briefly for them.  Best effort: a goroutine that computes without a
// scheduling point goes on.
void freezetheworld();
[[noreturn]] void freeze_park();

// Under a schedule seed (proc.cpp), the report's last line: "schedule seed: <n>", so
// that the failing schedule can be replayed.  Last, not in the header, so that the
// report's first lines stay Go's (tools and tests match "panic: ..." at the start).
// Async-signal-safe.
void write_schedule_seed();

// Flushes stdio, writes the GORT_TRACE file, and ends the process at once: no static destructors, no atexit
// handlers, which could run while goroutines still use what they destroy.
[[noreturn]] void exit_process(int code);

}  // namespace gort::detail
