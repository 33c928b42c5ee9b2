// stats.cpp -- gort::stats(): a snapshot summed from per-P counters.
#include <gort/stats.hpp>

#include "proc.hpp"

namespace gort {

Stats stats() {
  using namespace detail;
  Stats s;
  StackStats st = stack_stats();
  s.stacks_reserved = st.reserved;
  s.stacks_pooled = st.pooled;
  s.stack_guard = guard_mode_name(stack_guard_mode());
  LockGuard lk(sched.lock);
  if (!sched.running.load(std::memory_order_acquire) || sched.allp.empty()) return s;
  s.goroutines = static_cast<int>(count_goroutines());
  s.procs = sched.gomaxprocs;
  s.idle_procs = sched.npidle.load(std::memory_order_relaxed);
  s.threads = static_cast<int>(sched.allm.size());
  s.idle_threads = sched.nmidle;
  s.spinning_threads = sched.nmspinning.load(std::memory_order_relaxed);
  s.threads_in_blocking = sched.nmsyscall.load(std::memory_order_relaxed);
  s.global_runq = static_cast<std::size_t>(sched.runq_size.load(std::memory_order_relaxed));
  s.spawned = sched.foreign_created.load(std::memory_order_relaxed);
  s.handoffs = sched.handoffs.load(std::memory_order_relaxed);
  s.hogs = sched.hogs.load(std::memory_order_relaxed);
  s.schedule_seed = sched.schedule_seed.load(std::memory_order_relaxed);
  for (P* p : sched.allp) {
    s.local_runq += p->runq.size();
    s.spawned += p->created.load(std::memory_order_relaxed);
    s.context_switches += p->switches.load(std::memory_order_relaxed);
    s.steals += p->steals.load(std::memory_order_relaxed);
    s.parks += p->parks.load(std::memory_order_relaxed);
    s.blocking_calls += p->syscalls.load(std::memory_order_relaxed);
  }
  return s;
}

}  // namespace gort
