// semaphore.hpp -- gort::Semaphore: a weighted semaphore with a capacity, FIFO
// (golang.org/x/sync/semaphore.Weighted).
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
//   if (std::error_code err = memory.acquire(ctx, size)) return err;  // ctx done first
//   gort::defer give_back{[&] { memory.release(size); }};
//
// Semaphore(n) is a capacity: n tokens, all free at first.  acquire(k) waits until
// k tokens are free and takes them; release(k) gives k back.  try_acquire(k) takes
// them only if it can without waiting.  The semantics are x/sync's Weighted:
//
// - Fairness: waiters are served in arrival order.  A release (or a cancelled
//   waiter leaving the queue) hands tokens to the oldest waiter once its whole weight
//   is free, then to the next, and stops at the first that does not fit, so a large
//   acquire is never starved by a stream of small ones; for the same reason acquire
//   and try_acquire do not take tokens past a waiting caller, even when enough are
//   free for themselves.
// - A request larger than the capacity (k > n) can never succeed: it does not queue,
//   so it never holds up the callers behind it.  acquire(k) then blocks forever (Go's
//   Acquire(context.Background(), k)); acquire(ctx, k) returns ctx's error once ctx
//   is done; try_acquire(k) returns false.
// - acquire(ctx, k) gives up when ctx is done first: it returns ctx.err(), takes
//   nothing and leaves no trace in the queue (waiters behind it that now fit are
//   served).  If ctx is already done at the call it fails even when k tokens are free
//   (the newest x/sync: the cancellation happened before the acquire); and if ctx is
//   done by the time the wait ends, it gives the tokens back and fails.  Success
//   returns {} (false in a boolean test).  With background() it is acquire(k).
// - Weights of 0 are allowed: acquire(0) succeeds at once unless waiters are queued,
//   then it waits its turn; release(0) only lets queued waiters that fit proceed.
//
// Misuse panics (gort::Panic): releasing more than is held ("semaphore: released
// more than held", x/sync's text; the semaphore is left as it was), a negative weight
// ("semaphore: negative weight") and a negative capacity ("semaphore: negative
// count").  x/sync does not check the last two; a negative weight would mint tokens.
//
// Waiting parks the goroutine ("semaphore acquire" in dump_goroutines; an
// acquire(ctx) waits in a select over ctx.done(), shown as "select"); a thread that
// is not a goroutine blocks instead.  Threads and goroutines may share a Semaphore.
// Uncontended acquire and release are one CAS each (inline); 16 bytes.  A blocking
// acquire(ctx) allocates one channel for the wait (x/sync makes one too).
//
// At the end of gort::run, goroutines abandoned in acquire() are unwound; tokens
// already granted to one of them are given back, so a Semaphore that outlives run()
// keeps its count.  While run() is unwinding abandoned goroutines, a release beyond
// what is held is not reported (a destructor's acquire cancelled by the teardown
// returns without tokens, and its matching release must not panic while unwinding).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <system_error>

namespace gort {

class Context;

namespace detail {
struct WaitRoot;
}

class Semaphore {
 public:
  // A capacity of n tokens (n >= 0), all free.
  explicit Semaphore(std::int64_t n);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Waits until n tokens are free and no earlier waiter is queued, then takes them.
  void acquire(std::int64_t n = 1) {
    std::int64_t v = state_.load(std::memory_order_relaxed);
    while (n >= 0 && v >= n) {  // v < 0: waiters queued (kWaiters is the sign bit)
      if (state_.compare_exchange_weak(v, v - n, std::memory_order_acquire, std::memory_order_relaxed)) return;
    }
    acquire_slow(n);
  }

  // As acquire(n), but gives up when ctx is done: then returns ctx.err() and holds
  // nothing.  Fails at once if ctx is already done.  {} on success.
  [[nodiscard]] std::error_code acquire(const Context& ctx, std::int64_t n = 1);

  // Takes n tokens if they are free and no waiter is queued; false otherwise.
  bool try_acquire(std::int64_t n = 1) {
    std::int64_t v = state_.load(std::memory_order_relaxed);
    while (n >= 0 && v >= 0) {
      if (v < n) return false;
      if (state_.compare_exchange_weak(v, v - n, std::memory_order_acquire, std::memory_order_relaxed)) return true;
    }
    return try_acquire_slow(n);
  }

  // Gives back n tokens and serves the queued waiters that now fit, oldest first.
  void release(std::int64_t n = 1) {
    std::int64_t v = state_.load(std::memory_order_relaxed);
    while (n >= 0 && v >= 0 && n <= size_ - v) {
      if (state_.compare_exchange_weak(v, v + n, std::memory_order_release, std::memory_order_relaxed)) return;
    }
    release_slow(n);
  }

 private:
  // state_: the free tokens, plus the sign bit kWaiters while waiters may be queued.
  // With kWaiters set, fast paths step aside and every change is made under the wait
  // list's lock (semaphore.cpp).  size_: the capacity; free tokens never exceed it.
  static constexpr std::int64_t kWaiters = std::numeric_limits<std::int64_t>::min();
  static constexpr std::int64_t kMaxCount = std::numeric_limits<std::int64_t>::max();

  void acquire_slow(std::int64_t n);
  bool try_acquire_slow(std::int64_t n);
  void release_slow(std::int64_t n);
  std::int64_t lock_count(detail::WaitRoot& root);
  void grant_and_unlock(detail::WaitRoot& root, std::int64_t count);

  std::atomic<std::int64_t> state_;
  const std::int64_t size_;
};

}  // namespace gort
