// spin.cpp -- the scheduler's answer to "may this waiter spin?" (Go's
// sync_runtime_canSpin and sync_runtime_doSpin).
//
// A Mutex that finds the lock held may spin briefly instead of parking, betting that
// the holder is running on another CPU and about to unlock: a park and wake-up costs
// two goroutine switches and possibly an OS thread wake-up, far more than the short
// critical sections mutexes usually protect.  The bet only pays when the holder is
// really running, so, as in Go, a goroutine spins only if
//   * it has spun fewer than kActiveSpin rounds (each kActiveSpinCnt pauses);
//   * the machine has more than one CPU and the runtime more than one P;
//   * at least one other P is running a goroutine (gomaxprocs > npidle + nmspinning
//     + 1): otherwise nobody can be holding the lock while running;
//   * its own P's run queue is empty: with cooperative scheduling, goroutines waiting
//     on this P get the CPU only when we park, so spinning would delay them (and the
//     holder may be one of them).
// A plain thread (not a goroutine, or a goroutine inside blocking()) has no P and no
// run queue to starve: it spins on the first two conditions alone.
//
// Rejected: spinning with an exponential back-off or until the lock is free (the
// holder may itself be parked; under cooperative scheduling a long spin on one P can
// stall the very goroutine it waits for); sched_yield between rounds (a system call
// per round, and it does not let this P's goroutines run).
#include "spin.hpp"

#include "../os.hpp"
#include "../runtime2.hpp"

namespace gort::detail {
namespace {

constexpr int kActiveSpin = 4;      // Go's active_spin: rounds before parking
constexpr int kActiveSpinCnt = 30;  // Go's active_spin_cnt: pauses per round (procyield(30))

// CPUs, read once: hardware_threads() asks the OS each time.
int ncpu() {
  static const int n = hardware_threads();
  return n;
}

}  // namespace

bool can_spin(int iter) {
  if (iter >= kActiveSpin || ncpu() <= 1) return false;
  M* m = getm();
  P* p = m != nullptr ? m->p : nullptr;
  if (p == nullptr) return true;  // a thread: no P, no run queue to hold up
  const std::int32_t idle_or_looking =
      sched.npidle.load(std::memory_order_relaxed) + sched.nmspinning.load(std::memory_order_relaxed);
  if (sched.gomaxprocs <= idle_or_looking + 1) return false;  // no other P runs a goroutine
  return p->runq.empty();
}

void do_spin() {
  for (int i = 0; i < kActiveSpinCnt; ++i) cpu_relax();
}

}  // namespace gort::detail
