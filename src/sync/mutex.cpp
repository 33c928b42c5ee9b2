// mutex.cpp -- sync.Mutex (Go's sync/mutex.go) on the sema core (sema.cpp).
//
// A Mutex is one state word plus one semaphore word.  lock() and unlock() are
// inline: one CAS (0 -> kLocked) and one fetch_sub (kLocked -> 0); only when the word
// holds something else do they come here.
//
// State word (Mutex::state_): kLocked | kWoken | kStarving | waiters << kWaiterShift.
//   waiters   parties counted as queued on sema_ (counted by the CAS that commits
//             them to park, uncounted by the unlock that wakes one in normal mode or,
//             in starvation mode, by the waiter that takes the hand-off).
//   kWoken    some party in lock_slow is awake and will clear the bit at its next
//             CAS: a spinner that set it so that unlock wakes nobody, or the waiter
//             that unlock woke.  While it is set, unlock wakes no second waiter.
//   kStarving starvation mode (below).  Set only by a waiter that has waited more
//             than kStarvationThresholdNs, while the mutex is locked; cleared by the
//             waiter that takes the hand-off if it is the last one or waited less.
// Two modes, as in Go:
//   normal     unlock clears kLocked and wakes the oldest waiter, which competes with
//              newcomers for the lock (they are on a CPU already, so they usually
//              win: the lock stays hot on one P, which is the throughput of normal
//              mode).  A waiter that loses is queued again at the front of the queue.
//   starvation unlock hands the mutex to the oldest waiter: it clears kLocked but
//              leaves kStarving, so newcomers neither take it nor spin, and queue at
//              the back; the woken waiter sets kLocked itself.  Then unlock yields,
//              so the new owner runs at once (Go's semrelease handoff + goyield).
// Transitions (all by CAS or fetch_add on state_):
//   lock:        unlocked & !starving -> +kLocked (fast path, or lock_slow's CAS)
//   lock_slow:   locked | starving    -> +1 waiter (then park); +kStarving if this
//                                        waiter has starved and the mutex is locked;
//                                        -kWoken if this party was the awake one
//   spin:        locked & waiters & !kWoken & !starving -> +kWoken
//   unlock:      -kLocked; then, normal mode with waiters and neither kLocked nor
//                kWoken: -1 waiter +kWoken and wake one; starvation: hand off
//   hand-off:    starving & !locked -> +kLocked -1 waiter (-kStarving if last/quick)
// Invariants: kStarving implies waiters >= 1 or a hand-off in flight; kLocked and
// kWoken are both clear when a hand-off is taken (checked: "inconsistent mutex
// state" is a broken-runtime fatal, as Go's throw).
//
// Spinning follows Go: only in normal mode with the mutex held, and only while the
// scheduler says another P is running (spin.cpp): at one P a spinner would only delay
// the holder.
//
// Waiters are goroutines or threads alike (Waiter, in the wait table): a thread blocks on a
// futex, spins on the same terms as a goroutine without a P, and is woken and handed
// the mutex by the same code.
//
// Teardown (run() ending with goroutines parked in lock()): the wait table's cancel hook
// unlinks the parked waiter and semacquire either throws AbandonUnwind (propagated:
// the goroutine unwinds) or, for a goroutine already unwinding, returns false; lock()
// then uncounts itself and returns as if it had acquired the mutex, so that the
// destructor that called it can go on.  Its matching unlock() then finds a mutex it
// does not hold, possibly unlocked: while the runtime is abandoning goroutines that
// is not reported (the user's code did nothing wrong).
//
// Rejected alternatives:
//   * FIFO only (a ticket lock, or always handing off): every contended unlock would
//     switch to a parked goroutine; Go measured normal mode as far faster and keeps
//     FIFO for the starving case only.
//   * std::mutex or a futex word: blocks the OS thread, which under G-M-P stalls
//     every goroutine queued on its P, and std::mutex may not be unlocked by another
//     thread, which a goroutine that migrated (or Go's rule 12.6) needs.
//   * A wait queue inside the Mutex: it would be 24+ bytes instead of 8, and repeat
//     the wait table's queue and teardown logic (waittable.cpp).
//   * unlock as a CAS kLocked -> 0 so that an unlocked mutex is never decremented:
//     under contention the CAS fails whenever waiters exist and costs a second
//     atomic; the fetch_sub is right in every non-error case.
#include <gort/mutex.hpp>

#include "../fatal.hpp"
#include "../os.hpp"
#include "../proc.hpp"
#include "../sema.hpp"
#include "spin.hpp"

namespace gort {

namespace {

// Go's starvationThresholdNs: "a waiter that fails to acquire the lock for more than
// 1 ms switches the mutex to starvation mode" -- long enough that normal mode keeps
// its throughput under ordinary contention, short enough to bound tail latency.
constexpr std::int64_t kStarvationThresholdNs = 1000 * 1000;

// While the runtime unwinds abandoned goroutines, a lock() cancelled at teardown
// returned without the mutex; its unlock() is then not the caller's error.
bool abandoning() { return detail::sched.abandoning.load(std::memory_order_acquire); }

}  // namespace

void Mutex::lock_slow() { lock_slow(detail::WaitReason::kSyncMutexLock); }

void Mutex::lock_slow(detail::WaitReason reason) {
  constexpr std::int32_t kWaiter = 1 << kWaiterShift;
  std::int64_t wait_start = 0;  // nanotime() of the first park, 0 before it
  bool starving = false;        // this party has waited longer than the threshold
  bool awoke = false;           // this party owns kWoken (set it spinning, or was woken)
  int iter = 0;
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if ((old & (kLocked | kStarving)) == kLocked && detail::can_spin(iter)) {
      // Tell unlock not to wake a waiter: this party is awake and will take the lock.
      if (!awoke && (old & kWoken) == 0 && (old >> kWaiterShift) != 0 &&
          state_.compare_exchange_weak(old, old | kWoken, std::memory_order_relaxed))
        awoke = true;
      detail::do_spin();
      ++iter;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t desired = old;
    if ((old & kStarving) == 0) desired |= kLocked;  // a starving mutex goes to the queue's head
    if ((old & (kLocked | kStarving)) != 0) desired += kWaiter;
    if (starving && (old & kLocked) != 0) desired |= kStarving;
    if (awoke) {
      if ((desired & kWoken) == 0) detail::fatal("sync: inconsistent mutex state");
      desired &= ~kWoken;
    }
    if (!state_.compare_exchange_weak(old, desired, std::memory_order_acq_rel, std::memory_order_relaxed))
      continue;  // old reloaded
    if ((old & (kLocked | kStarving)) == 0) return;  // locked with the CAS
    const bool lifo = wait_start != 0;  // woken before and lost the race: back to the front
    if (wait_start == 0) wait_start = detail::nanotime();
    if (!detail::semacquire(&sema_, lifo, reason)) {
      // Abandoned at teardown while already unwinding: nobody uncounted us.
      old = state_.load(std::memory_order_relaxed);
      for (;;) {
        desired = old - kWaiter;
        if ((desired >> kWaiterShift) == 0) desired &= ~kStarving;
        if (state_.compare_exchange_weak(old, desired, std::memory_order_relaxed)) return;
      }
    }
    starving = starving || detail::nanotime() - wait_start > kStarvationThresholdNs;
    old = state_.load(std::memory_order_relaxed);
    if ((old & kStarving) != 0) {
      // Handed off: the mutex is ours, but kLocked is not set and we are still counted.
      if ((old & (kLocked | kWoken)) != 0 || (old >> kWaiterShift) == 0)
        detail::fatal("sync: inconsistent mutex state");
      std::int32_t delta = kLocked - kWaiter;
      // Leave starvation mode if we waited little or are the last waiter: staying in it
      // would hand off to nobody, and two parties alternating would never leave it.
      if (!starving || (old >> kWaiterShift) == 1) delta -= kStarving;
      state_.fetch_add(delta, std::memory_order_acq_rel);
      return;
    }
    awoke = true;
    iter = 0;
  }
}

void Mutex::unlock_slow(std::int32_t now) {
  if (((now + kLocked) & kLocked) == 0) {
    if (abandoning()) {
      state_.fetch_add(kLocked, std::memory_order_relaxed);  // undo: leave the word as it was
      return;
    }
    detail::fatal("sync: unlock of unlocked mutex");
  }
  if ((now & kStarving) == 0) {
    std::int32_t old = now;
    for (;;) {
      // Nobody to wake, or someone already awake (a spinner, a woken waiter), or the
      // lock already taken again: that party will deal with the waiters.
      if ((old >> kWaiterShift) == 0 || (old & (kLocked | kWoken | kStarving)) != 0) return;
      const std::int32_t desired = (old - (1 << kWaiterShift)) | kWoken;
      if (state_.compare_exchange_weak(old, desired, std::memory_order_relaxed)) {
        detail::semrelease(&sema_, false);
        return;
      }
    }
  }
  // Starvation mode: hand the mutex to the first waiter and let it run now.  (kLocked
  // stays clear; newcomers see kStarving and queue behind it.)
  detail::semrelease(&sema_, true);
  if (detail::can_gopark()) detail::gosched();
}

}  // namespace gort
