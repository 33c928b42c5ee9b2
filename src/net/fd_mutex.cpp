// fd_mutex.cpp -- Go's internal/poll fdMutex: serialises reads among themselves and
// writes among themselves, and counts every call in flight, so that closing a socket
// never closes the descriptor under a call still using it.
//
// Close (NetFD::close) is: incref_and_close (closed, so no new call starts; lock
// waiters are woken and leave), evict the poll descriptor (blocked calls return),
// decref; whoever drops the last reference then closes the fd.
//
// One difference from Go: a goroutine waiting for a lock holds a reference while it
// waits (Go's waiters hold none, and rely on the garbage collector to keep the mutex
// alive).  Without it, a closer could see no reference left, destroy the descriptor
// and let its owner free the NetFD while a waiter is about to wake up and read the
// state word.  With it, the NetFD outlives everyone who can touch it, and close()
// returns only when they are all gone.  It also makes a release safe: rwunlock drops
// its own reference before it wakes a waiter, and the waiter's reference keeps the
// mutex alive across that semrelease.  (semrelease touches the semaphore word only
// before it readies the waiter.)
//
// Rejected: a std::shared_mutex or gort::Mutex per direction plus a separate counter
// (two atomics per call instead of one CAS, and close would need its own waking of
// lock waiters).
#include "fd_mutex.hpp"

#include "../fatal.hpp"
#include "../sema.hpp"
#include "gort/panic.hpp"

namespace gort::net::detail {
namespace {

constexpr std::uint64_t kClosed = 1ull << 0;
constexpr std::uint64_t kRLock = 1ull << 1;
constexpr std::uint64_t kWLock = 1ull << 2;
constexpr std::uint64_t kRef = 1ull << 3;
constexpr std::uint64_t kRefMask = ((1ull << 20) - 1) << 3;
constexpr std::uint64_t kRWait = 1ull << 23;
constexpr std::uint64_t kRMask = ((1ull << 20) - 1) << 23;
constexpr std::uint64_t kWWait = 1ull << 43;
constexpr std::uint64_t kWMask = ((1ull << 20) - 1) << 43;

// Go's overflowMsg: misuse by the caller, a panic.
[[noreturn]] void overflow() { gort::panic("too many concurrent operations on a single file or socket (max 1048575)"); }

bool last(std::uint64_t state) { return (state & (kClosed | kRefMask)) == kClosed; }

}  // namespace

bool FdMutex::incref() {
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (old & kClosed) return false;
    const std::uint64_t next = old + kRef;
    if ((next & kRefMask) == 0) overflow();
    if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel)) return true;
  }
}

bool FdMutex::incref_and_close() {
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (old & kClosed) return false;
    std::uint64_t next = (old | kClosed) + kRef;
    if ((next & kRefMask) == 0) overflow();
    next &= ~(kRMask | kWMask);  // every waiter is released; each keeps its reference
    if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel)) break;
  }
  for (; old & kRMask; old -= kRWait) gort::detail::semrelease(&rsema_, false);
  for (; old & kWMask; old -= kWWait) gort::detail::semrelease(&wsema_, false);
  return true;
}

bool FdMutex::decref() {
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if ((old & kRefMask) == 0) gort::detail::fatal("inconsistent poll.fdMutex");
    const std::uint64_t next = old - kRef;
    if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel)) return last(next);
  }
}

FdMutex::Lock FdMutex::rwlock(bool read) {
  const std::uint64_t bit = read ? kRLock : kWLock;
  const std::uint64_t wait = read ? kRWait : kWWait;
  const std::uint64_t mask = read ? kRMask : kWMask;
  std::atomic<std::uint32_t>* sema = read ? &rsema_ : &wsema_;
  bool have_ref = false;  // taken when we queued as a waiter
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (old & kClosed) {
      if (!have_ref) return Lock::kClosed;
      return decref() ? Lock::kClosedLast : Lock::kClosed;
    }
    std::uint64_t next;
    if ((old & bit) == 0) {
      next = old | bit;
      if (!have_ref) next += kRef;
    } else {
      next = old + wait;
      if (!have_ref) next += kRef;
      if ((next & mask) == 0) overflow();
    }
    if ((next & kRefMask) == 0) overflow();
    if (!state_.compare_exchange_weak(old, next, std::memory_order_acq_rel)) continue;
    if ((old & bit) == 0) return Lock::kLocked;
    have_ref = true;
    // The releaser (rwunlock or incref_and_close) takes us off the wait count before
    // it wakes us.  At run()'s teardown the wait may be cancelled instead (the world
    // is stopped then, so no releaser is half-way): we take ourselves off the count,
    // and give the reference back (the caller does, if we unwind).
    bool woken = false;
    try {
      woken = gort::detail::semacquire(sema, false, gort::detail::WaitReason::kSemacquire);
    } catch (...) {
      state_.fetch_sub(wait, std::memory_order_acq_rel);
      throw;
    }
    if (!woken) {
      state_.fetch_sub(wait, std::memory_order_acq_rel);
      return decref() ? Lock::kClosedLast : Lock::kClosed;
    }
    old = state_.load(std::memory_order_relaxed);
  }
}

bool FdMutex::rwunlock(bool read) {
  const std::uint64_t bit = read ? kRLock : kWLock;
  const std::uint64_t wait = read ? kRWait : kWWait;
  const std::uint64_t mask = read ? kRMask : kWMask;
  std::uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if ((old & bit) == 0 || (old & kRefMask) == 0) gort::detail::fatal("inconsistent poll.fdMutex");
    std::uint64_t next = (old & ~bit) - kRef;
    if (old & mask) next -= wait;
    if (!state_.compare_exchange_weak(old, next, std::memory_order_acq_rel)) continue;
    if (old & mask) gort::detail::semrelease(read ? &rsema_ : &wsema_, false);
    return last(next);
  }
}

}  // namespace gort::net::detail
