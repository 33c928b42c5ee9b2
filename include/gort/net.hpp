// net.hpp -- gort::net: network I/O that parks the goroutine, never the thread.
//
// Bringing your own non-blocking library (libcurl multi, c-ares, libpq, hiredis...):
//
//   int fd = ...;                                     // non-blocking, yours
//   for (;;) {
//     ssize_t n = ::read(fd, buf, sizeof buf);
//     if (n >= 0) break;
//     if (errno != EAGAIN) throw ...;
//     if (auto err = gort::net::wait_read(fd, deadline)) return err;   // timed_out
//   }
//
// wait_read(fd, deadline) / wait_write(fd, deadline) park the calling goroutine until
// fd may be readable / writable (then retry the call: readiness is a hint, and EAGAIN
// means wait again), or until the deadline passes (std::errc::timed_out).  A deadline
// of Clock::time_point{} means none.  The fd must be non-blocking and stay open for
// the call; it is not closed or changed.  Any number of goroutines may wait on the
// same fd.  Each call registers the fd with the poller for its duration (two system
// calls beside the wait); gort::net's own connections stay registered for life.
// From a thread that is not a goroutine (or inside blocking()) the thread blocks.
#pragma once

#include <system_error>

#include "time.hpp"

namespace gort::net {

[[nodiscard]] std::error_code wait_read(int fd, Clock::time_point deadline = {});
[[nodiscard]] std::error_code wait_write(int fd, Clock::time_point deadline = {});

}  // namespace gort::net
