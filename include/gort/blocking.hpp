// blocking.hpp -- gort::blocking: run a call that blocks its OS thread.
//
//   auto n = gort::blocking([&] { return ::read(fd, buf, len); });
//
// A goroutine that calls into something that blocks the thread (a syscall, a
// third-party client, std::this_thread::sleep_for) would hold its P, and with it
// every goroutine queued there.  Inside blocking() the goroutine's M gives up its P
// for the call and takes one back afterwards (Go's entersyscall/exitsyscall); if the
// call lasts more than ~20 us, sysmon hands the P to another M, so other goroutines
// keep running.  Inside f, gort's blocking primitives block the thread (as on a
// thread that is not a goroutine).  Returns f's result; exceptions pass through.  On
// a thread that is not a goroutine it simply calls f.
#pragma once

#include <utility>

namespace gort {

namespace detail {
class SyscallScope {
 public:
  SyscallScope();
  ~SyscallScope() noexcept(false);
  SyscallScope(const SyscallScope&) = delete;
  SyscallScope& operator=(const SyscallScope&) = delete;

 private:
  bool entered_;
};
}  // namespace detail

template <class F>
auto blocking(F&& f) -> decltype(f()) {
  detail::SyscallScope scope;
  return std::forward<F>(f)();
}

}  // namespace gort
