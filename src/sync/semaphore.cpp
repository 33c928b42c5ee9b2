// semaphore.cpp -- gort::Semaphore's slow paths: the FIFO of weighted waiters.
//
// The semantics are golang.org/x/sync/semaphore.Weighted's (FIFO; a release grants
// the oldest waiters in order while their weights fit and stops at the first that
// does not), with a counting semaphore's release (no capacity: the count may grow
// past its initial value).  The implementation differs: x/sync takes a sync.Mutex on
// every call; here the uncontended calls are one CAS on state_, and the lock is taken
// only when waiters exist or must be created.
//
// state_ = count | kWaiters.  Protocol:
//   * kWaiters clear: the count is changed by CAS, by anyone (fast paths).
//   * Every slow path first takes the wait list's root lock, then sets kWaiters with
//     fetch_or: from then on no fast path can change state_ (each CAS expects a
//     value with the bit clear), so the holder of the root lock reads and writes the
//     count alone.  Before unlocking it stores the new count, with kWaiters set iff
//     waiters for this semaphore remain queued.
//   * So kWaiters clear implies no waiter is queued; kWaiters set means "go through
//     the lock" and is normally exact, but may be stale after teardown unlinked a
//     waiter without touching the semaphore (it may be gone): the next slow path
//     recomputes it from the list.
// FIFO fairness falls out: with a waiter queued the bit is set, so no acquire --
// fast or slow, even one whose weight would fit -- gets past it; release hands
// permits to the queue's head first.
//
// Granted waiters have their weight subtracted by the releaser, are unlinked, marked
// granted, and woken after the lock is released.  A granted goroutine that is unwound
// at teardown before it returns gives its permits back, so a Semaphore reused after
// run() does not lose them; a cancelled waiter (never granted) returns as if granted
// when it is already unwinding (the neutral result).
//
// Rejected: x/sync's mutex + list in every call (two lock round trips per uncontended
// acquire/release pair); sema.cpp's queues (their waiters are interchangeable and
// take one unit each: a weighted head-of-line rule needs the waiters' weights).
#include <gort/panic.hpp>
#include <gort/semaphore.hpp>

#include "notify_list.hpp"

namespace gort {

namespace {
[[noreturn]] void negative_weight() { panic("semaphore: negative weight"); }
}  // namespace

Semaphore::Semaphore(std::int64_t n) : state_(n) {
  if (n < 0) panic("semaphore: negative count");
}

void Semaphore::acquire_slow(std::int64_t n) {
  if (n < 0) negative_weight();
  detail::WaitRoot& root = detail::wait_root(&state_);
  root.lock.lock();
  const std::int64_t count = state_.fetch_or(kWaiters, std::memory_order_acq_rel) & kMaxCount;
  if (root.first(&state_) == nullptr && count >= n) {
    state_.store(count - n, std::memory_order_release);  // nobody queued: the bit goes again
    root.lock.unlock();
    return;
  }
  detail::ListWaiter s;
  s.key = &state_;
  s.tag = static_cast<std::uint64_t>(n);
  try {
    detail::wait_in(root, &s, detail::WaitReason::kSemaphoreAcquire);
  } catch (...) {
    if (s.granted) release(n);  // unwound after being granted: the permits go on
    throw;
  }
}

bool Semaphore::try_acquire_slow(std::int64_t n) {
  if (n < 0) negative_weight();
  detail::WaitRoot& root = detail::wait_root(&state_);
  root.lock.lock();
  const std::int64_t count = state_.fetch_or(kWaiters, std::memory_order_acq_rel) & kMaxCount;
  const bool queued = root.first(&state_) != nullptr;
  const bool ok = !queued && count >= n;
  state_.store((ok ? count - n : count) | (queued ? kWaiters : 0), std::memory_order_release);
  root.lock.unlock();
  return ok;
}

void Semaphore::release_slow(std::int64_t n) {
  if (n < 0) negative_weight();
  detail::WaitRoot& root = detail::wait_root(&state_);
  root.lock.lock();
  const std::int64_t old = state_.fetch_or(kWaiters, std::memory_order_acq_rel);
  std::int64_t count = old & kMaxCount;
  if (n > kMaxCount - count) {
    state_.store(old, std::memory_order_relaxed);
    root.lock.unlock();
    panic("semaphore: count overflow");
  }
  count += n;
  // Grant from the head while the weights fit; unlink under the lock, wake after it.
  detail::ListWaiter* woken = nullptr;
  detail::ListWaiter** tail = &woken;
  detail::ListWaiter* s = root.first(&state_);
  while (s != nullptr && static_cast<std::int64_t>(s->tag) <= count) {
    detail::ListWaiter* next = root.next(s);
    count -= static_cast<std::int64_t>(s->tag);
    root.remove(s);
    s->granted = true;
    *tail = s;
    tail = &s->next;
    s = next;
  }
  state_.store(count | (s != nullptr ? kWaiters : 0), std::memory_order_release);
  root.lock.unlock();
  while (woken != nullptr) {
    detail::ListWaiter* next = woken->next;  // read before ready(): the waiter may return at once
    woken->w.ready();
    woken = next;
  }
}

}  // namespace gort
