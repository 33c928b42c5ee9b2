// go.cpp -- the public face of goroutines: yield, goexit, ids, counts, blocking().
#include <gort/blocking.hpp>
#include <gort/detail/unwind.hpp>
#include <gort/go.hpp>
#include <gort/runtime.hpp>

#include <stdexcept>

#include "proc.hpp"

namespace gort {

void yield() { detail::gosched(); }

void goexit() {
  if (detail::getg() == nullptr) throw std::logic_error("gort::goexit: not called from a goroutine");
  throw detail::GoexitUnwind{};
}

std::uint64_t goroutine_id() {
  detail::G* gp = detail::getg();
  return gp != nullptr ? gp->goid : 0;
}

int num_goroutine() {
  if (!detail::sched.running.load(std::memory_order_acquire)) return 0;
  return static_cast<int>(detail::count_goroutines());
}

int max_procs() { return detail::sched.running.load(std::memory_order_acquire) ? detail::sched.gomaxprocs : 0; }

namespace detail {

SyscallScope::SyscallScope() : entered_(can_gopark()) {
  if (entered_) entersyscall();
}

SyscallScope::~SyscallScope() noexcept(false) {
  if (entered_) exitsyscall();
}

}  // namespace detail
}  // namespace gort
