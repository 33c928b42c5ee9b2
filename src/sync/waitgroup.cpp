// waitgroup.cpp -- sync.WaitGroup on the sema core (Go's sync/waitgroup.go).
//
// One 64-bit word: the counter in the high half, the number of waiters in the low
// half, so that add() can tell in one atomic step whether it brought the counter to
// zero with waiters present (then it releases each of them on the semaphore).
#include <gort/panic.hpp>
#include <gort/waitgroup.hpp>

#include "../sema.hpp"

namespace gort {

void WaitGroup::add(int delta) {
  const std::uint64_t d = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32;
  std::uint64_t state = state_.fetch_add(d, std::memory_order_acq_rel) + d;
  const auto v = static_cast<std::int32_t>(state >> 32);
  auto w = static_cast<std::uint32_t>(state);
  if (v < 0) panic("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == delta) panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0) return;
  // The counter reached zero with waiters: nobody may change the state now but us.
  if (state_.load(std::memory_order_relaxed) != state)
    panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  state_.store(0, std::memory_order_relaxed);
  for (; w != 0; --w) detail::semrelease(&sema_, false);
}

void WaitGroup::wait() {
  std::uint64_t state = state_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<std::int32_t>(state >> 32) == 0) return;
    if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) {
      if (!detail::semacquire(&sema_, false, detail::WaitReason::kSyncWaitGroupWait)) return;
      if (state_.load(std::memory_order_acquire) != 0)
        panic("sync: WaitGroup is reused before previous Wait has returned");
      return;
    }
  }
}

}  // namespace gort
