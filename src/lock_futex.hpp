// lock_futex.hpp -- Note: a one-shot sleep/wakeup on a futex (Go's note).
//
// An M with nothing to run sleeps on its note until another thread hands it work;
// sysmon sleeps on one when there is nothing to watch.  Exactly one thread sleeps
// on a note; any thread may wake it; wakeup before sleep is not lost.
#pragma once

#include <atomic>
#include <cstdint>

#include <gort/detail/thread_annotations.hpp>

#include "os.hpp"

namespace gort::detail {

class Note {
 public:
  void clear() { key_.store(0, std::memory_order_relaxed); }
  void wakeup() {
    if (key_.exchange(1, std::memory_order_release) == 0) futex_wake(&key_, 1);
  }
  void sleep() {
    while (key_.load(std::memory_order_acquire) == 0) futex_wait(&key_, 0, -1);
  }
  // Returns true if woken, false when `ns` passed first.
  bool sleep_for(std::int64_t ns) {
    const std::int64_t now = nanotime();
    const std::int64_t deadline = ns > INT64_MAX - now ? INT64_MAX : now + ns;  // a far timer saturates
    while (key_.load(std::memory_order_acquire) == 0) {
      std::int64_t left = deadline - nanotime();
      if (left <= 0) return false;
      futex_wait(&key_, 0, left);
    }
    return true;
  }
  bool woken() const { return key_.load(std::memory_order_acquire) != 0; }

 private:
  std::atomic<std::uint32_t> key_{0};
};

}  // namespace gort::detail

namespace gort::detail {

// A futex mutex for the runtime's short critical sections (Go's lock_futex.go):
// 0 unlocked, 1 locked, 2 locked with sleepers.  Unlike std::mutex it may be unlocked
// by another context than the one that locked it (gopark hands the unlock to the
// next goroutine on the thread), and it is made of atomics, so TSan sees its
// happens-before edges across fibers.  It is a capability for clang's thread-safety
// analysis: fields it guards are GORT_GUARDED_BY it, and the compiler checks them.
class GORT_CAPABILITY("mutex") Lock {
 public:
  void lock() GORT_ACQUIRE() {
    std::uint32_t c = 0;
    if (key_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
    lock_slow();
  }
  bool try_lock() GORT_TRY_ACQUIRE(true) {
    std::uint32_t c = 0;
    return key_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void unlock() GORT_RELEASE() {
    if (key_.exchange(0, std::memory_order_release) == 2) futex_wake(&key_, 1);
  }

 private:
  void lock_slow() {
    // Spin briefly: the holder is most likely running on another core and almost done.
    // Look at the word only every kPausesPerLook pauses (Go's procyield(30)): a spinner
    // reading it in a tight loop keeps stealing the cache line the holder is writing,
    // and under contention that made every critical section slower (MPMC at 2 Ps: 3x).
    for (int look = 0; look < kLooks; ++look) {
      for (int i = 0; i < kPausesPerLook; ++i) cpu_relax();
      std::uint32_t c = 0;
      if (key_.load(std::memory_order_relaxed) == 0 &&
          key_.compare_exchange_weak(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
        return;
    }
    while (key_.exchange(2, std::memory_order_acquire) != 0) futex_wait(&key_, 2, -1);
  }
  static constexpr int kLooks = 4;            // Go's active_spin
  static constexpr int kPausesPerLook = 30;   // Go's active_spin_cnt; 4 x 30: ~0.5-1 us in all
  std::atomic<std::uint32_t> key_{0};
};

// Holds a Lock for a scope.  std::lock_guard would do the same, but libstdc++'s is not
// annotated, so the analysis would not know that the scope holds the lock.
class GORT_SCOPED_CAPABILITY LockGuard {
 public:
  explicit LockGuard(Lock& l) GORT_ACQUIRE(l) : l_(l) { l_.lock(); }
  ~LockGuard() GORT_RELEASE() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& l_;
};

}  // namespace gort::detail
