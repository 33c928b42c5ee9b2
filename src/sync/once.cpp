// once.cpp -- sync.Once's slow path.
//
// Go builds Once on a Mutex plus a done flag: the first caller runs f under the
// mutex, the others wait for the mutex.  gort keeps the one-load fast path (state_ ==
// kDone) but gives the slow path its own word so that waiting callers park under
// their own wait reason ("sync.Once.Do", not "sync.Mutex.Lock") and are released all
// at once rather than one mutex hand-over after another:
//
//   kIdle --enter(): CAS--> kRunning --finish(): exchange--> kDone   (for good)
//                           kRunning + n*kWaiter  (n callers counted, then parked)
//
// A caller that finds kRunning adds itself with a CAS and parks on sema_; finish()
// swaps in kDone, learning n from the old value, and releases sema_ n times.  A
// waiter added before the exchange is counted; none can be added after it (the CAS
// expects a kRunning value).  The memory effects of f happen before finish()'s
// exchange (release); waiters acquire them through sema_ (semrelease/semacquire
// synchronise) and the fast path through its acquire load of kDone.
//
// Teardown: a waiter whose park is cancelled returns without f having completed
// (a neutral result for a goroutine being unwound); one that is unwound leaves a
// count that finish() releases to nobody, which is harmless since the Once is then
// done.  If f itself is unwound, the Once counts as done, as for any exception.
//
// Rejected: Go's Mutex-based slow path (waiters show as "sync.Mutex.Lock" and are
// released one by one, each unlock a hand-over); std::call_once (blocks the thread
// and re-arms after an exception, against Go's rule).
#include <gort/once.hpp>

#include "../runtime2.hpp"
#include "../sema.hpp"

namespace gort {

bool Once::enter() {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (s == kDone) return false;
    if (s == kIdle) {
      if (state_.compare_exchange_weak(s, kRunning, std::memory_order_acquire, std::memory_order_acquire))
        return true;
      continue;
    }
    if (state_.compare_exchange_weak(s, s + kWaiter, std::memory_order_acquire)) {
      detail::semacquire(&sema_, false, detail::WaitReason::kSyncOnceDo);
      return false;
    }
  }
}

void Once::finish() noexcept {
  const std::uint32_t s = state_.exchange(kDone, std::memory_order_acq_rel);
  for (std::uint32_t n = s / kWaiter; n != 0; --n) detail::semrelease(&sema_, false);
}

}  // namespace gort
