// mutex.hpp -- gort::Mutex (sync.Mutex).
//
//   gort::Mutex mu;
//   long balance = 0;  // guarded by mu
//
//   void deposit(long v) {
//     std::lock_guard lk(mu);        // or std::unique_lock, std::scoped_lock(mu, other)
//     balance += v;
//   }
//
// A mutual-exclusion lock for goroutines and threads alike.  It is a goroutine lock,
// not a thread lock: a goroutine may hold it across anything that parks (a channel
// operation, sleep, another lock) and resume on another thread, which std::mutex
// forbids.  As in Go:
//   * lock() blocks until the mutex is free.  It may spin briefly while the holder is
//     running on another P, then parks the goroutine (state "sync.Mutex.Lock" in
//     dump_goroutines) -- the thread keeps running other goroutines.  Called from a
//     thread that is not a goroutine (or inside gort::blocking), it blocks that
//     thread.  Threads and goroutines may contend for the same Mutex.
//   * try_lock() never blocks; it fails only while the mutex is held (or handed to a
//     waiter, see starvation below).
//   * unlock() may be called by another goroutine or thread than the one that locked
//     it.  Unlocking a mutex that is not locked is a fatal error (not a panic: it
//     cannot be recovered): `fatal error: sync: unlock of unlocked mutex`, exit 2.
//   * Not recursive: a goroutine that locks a Mutex it holds deadlocks.
//   * Fairness: a released mutex goes to whoever takes it first, so a running
//     goroutine usually beats a woken one (throughput); but once a waiter has waited
//     more than 1 ms the mutex switches to starvation mode and is handed from the
//     unlocker straight to the waiter at the head of the FIFO queue, newcomers
//     queueing behind, until the queue drains or a waiter got it quickly.  Such a
//     hand-off makes unlock() yield to the new owner, as Go's does: unlock() is then
//     a scheduling point (the goroutine may resume on another thread).
//   * Cost: uncontended lock() and unlock() are one atomic instruction each, inlined;
//     a Mutex is 8 bytes, needs no destructor and is constant-initialised, so a
//     namespace-scope Mutex works before main and outside gort::run.
// Mutex meets the standard Lockable requirements.  It carries clang's capability
// annotations: with -Wthread-safety, fields marked GORT_GUARDED_BY(mu) are checked
// against direct lock()/unlock() calls (libstdc++'s std::lock_guard and friends are
// not annotated, so code that locks through them gets false warnings; libc++ with
// _LIBCPP_ENABLE_THREAD_SAFETY_ANNOTATIONS is annotated).
//
// At the end of gort::run, goroutines abandoned while blocked in lock() are unwound
// like every abandoned goroutine; a Mutex that outlives run() (a global one) stays
// usable in later runs, also when such goroutines held it or waited for it.
#pragma once

#include <atomic>
#include <cstdint>

#include <gort/detail/thread_annotations.hpp>

namespace gort {

namespace detail {
enum class WaitReason : std::uint8_t;  // runtime2.hpp
}

class GORT_CAPABILITY("mutex") Mutex {
 public:
  constexpr Mutex() noexcept = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() GORT_ACQUIRE() {
    if (!try_lock_fast()) [[unlikely]]
      lock_slow();
  }

  bool try_lock() GORT_TRY_ACQUIRE(true) {
    std::int32_t old = state_.load(std::memory_order_relaxed);
    while ((old & (kLocked | kStarving)) == 0) {
      if (state_.compare_exchange_weak(old, old | kLocked, std::memory_order_acquire, std::memory_order_relaxed))
        return true;
    }
    return false;
  }

  void unlock() GORT_RELEASE() {
    const std::int32_t now = state_.fetch_sub(kLocked, std::memory_order_release) - kLocked;
    if (now != 0) [[unlikely]]
      unlock_slow(now);
  }

 private:
  friend class RWMutex;  // its writers' lock, parked under their own wait reason

  // state_, Go's layout (the state machine is in mutex.cpp):
  static constexpr std::int32_t kLocked = 1;    // held (clear during a starvation-mode hand-off)
  static constexpr std::int32_t kWoken = 2;     // a waiter is awake and competing: unlock wakes no other
  static constexpr std::int32_t kStarving = 4;  // starvation mode: unlock hands off, newcomers queue
  static constexpr int kWaiterShift = 3;        // the bits above count parked waiters

  bool try_lock_fast() {
    std::int32_t unlocked = 0;
    return state_.compare_exchange_strong(unlocked, kLocked, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void lock_slow();
  void lock_slow(detail::WaitReason reason);
  void unlock_slow(std::int32_t now);

  std::atomic<std::int32_t> state_{0};   // the bits above; atomics only
  std::atomic<std::uint32_t> sema_{0};   // the waiters' semaphore (sema.cpp)
};

}  // namespace gort
