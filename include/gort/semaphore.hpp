// semaphore.hpp -- gort::Semaphore: a weighted counting semaphore, FIFO
// (golang.org/x/sync/semaphore.Weighted, with counting-semaphore release).
//
//   gort::Semaphore slots(4);            // at most 4 concurrent downloads
//   for (auto& url : urls)
//     wg.go([&slots, url] {
//       slots.acquire();
//       gort::defer give_back{[&] { slots.release(); }};
//       download(url);
//     });
//
//   gort::Semaphore memory(1 << 30);     // weighted: bytes of a budget
//   memory.acquire(size); ... memory.release(size);
//
// The semaphore holds a count of permits, initially n.  acquire(k) waits until k
// permits are free and takes them; release(k) returns k (more than were ever taken is
// allowed: release on a Semaphore(0) is a signal).  try_acquire(k) takes them only if
// it can without waiting.  Weights and n are >= 0: a negative weight panics
// ("semaphore: negative weight"), a negative n too ("semaphore: negative count"), and
// so does a release that would overflow the count ("semaphore: count overflow").
//
// Fairness: waiters are served strictly in arrival order.  A release wakes the
// oldest waiter once its whole weight is free, then the next, and stops at the first
// that does not fit, so a large acquire is never starved by a stream of small ones;
// for the same reason acquire and try_acquire do not take permits past a waiting
// caller, even when enough are free for themselves.
//
// Waiting parks the goroutine ("semaphore acquire" in dump_goroutines); a thread that
// is not a goroutine blocks instead.  Threads and goroutines may share a Semaphore.
// Uncontended acquire and release are one CAS each (inline); 8 bytes.
//
// At the end of gort::run, goroutines abandoned in acquire() are unwound; permits
// already granted to one of them are given back, so a Semaphore that outlives run()
// keeps its count.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>

namespace gort {

class Semaphore {
 public:
  explicit Semaphore(std::int64_t n);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  void acquire(std::int64_t n = 1) {
    std::int64_t v = state_.load(std::memory_order_relaxed);
    while (n >= 0 && v >= n) {  // v < 0: waiters queued (kWaiters is the sign bit)
      if (state_.compare_exchange_weak(v, v - n, std::memory_order_acquire, std::memory_order_relaxed)) return;
    }
    acquire_slow(n);
  }

  bool try_acquire(std::int64_t n = 1) {
    std::int64_t v = state_.load(std::memory_order_relaxed);
    while (n >= 0 && v >= 0) {
      if (v < n) return false;
      if (state_.compare_exchange_weak(v, v - n, std::memory_order_acquire, std::memory_order_relaxed)) return true;
    }
    return try_acquire_slow(n);
  }

  void release(std::int64_t n = 1) {
    std::int64_t v = state_.load(std::memory_order_relaxed);
    while (n >= 0 && v >= 0 && n <= kMaxCount - v) {
      if (state_.compare_exchange_weak(v, v + n, std::memory_order_release, std::memory_order_relaxed)) return;
    }
    release_slow(n);
  }

 private:
  // state_: the free permits, plus the sign bit kWaiters while waiters may be queued.
  // With kWaiters set, fast paths step aside and every change is made under the wait
  // list's lock (semaphore.cpp).
  static constexpr std::int64_t kWaiters = std::numeric_limits<std::int64_t>::min();
  static constexpr std::int64_t kMaxCount = std::numeric_limits<std::int64_t>::max();

  void acquire_slow(std::int64_t n);
  bool try_acquire_slow(std::int64_t n);
  void release_slow(std::int64_t n);

  std::atomic<std::int64_t> state_;
};

}  // namespace gort
