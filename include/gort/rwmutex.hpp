// rwmutex.hpp -- gort::RWMutex (sync.RWMutex): many readers or one writer.
//
//   gort::RWMutex mu;
//   std::map<std::string, int> table;  // guarded by mu
//
//   int get(const std::string& k) {
//     std::shared_lock lk(mu);        // lock_shared() / unlock_shared()
//     auto it = table.find(k);
//     return it == table.end() ? 0 : it->second;
//   }
//   void put(const std::string& k, int v) {
//     std::unique_lock lk(mu);        // or std::lock_guard, std::scoped_lock
//     table[k] = v;
//   }
//
// Any number of readers may hold the lock together; a writer holds it alone.  As in
// Go, writers are not starved by a stream of readers: once a writer calls lock(), new
// lock_shared() calls wait until that writer has had its turn, and the writer waits
// only for the readers already inside.  A reader must therefore not lock_shared()
// recursively (if a writer arrived in between, the inner call waits for the writer,
// which waits for the outer one: deadlock), exactly as with Go's RLock.
//
// Blocking parks the goroutine ("sync.RWMutex.RLock" / "sync.RWMutex.Lock" in
// dump_goroutines) or, on a thread that is not a goroutine, blocks the thread; both
// kinds of party may share one RWMutex.  Either half may be released by another
// goroutine or thread than the one that acquired it.  Releasing what is not held is a
// fatal error (`fatal error: sync: Unlock of unlocked RWMutex`, `... RUnlock of
// unlocked RWMutex`), as in Go.
//
// Cost: uncontended lock_shared()/unlock_shared() are one atomic each (all readers
// share one counter, so heavy read traffic from many CPUs contends on its cache
// line, as in Go); lock()/unlock() are two each.  Inline; 24 bytes; constant-
// initialised.  Meets the standard Lockable and SharedLockable requirements.
//
// At the end of gort::run, goroutines abandoned while blocked in lock() or
// lock_shared() are unwound like every abandoned goroutine.  The RWMutex they waited
// on is then in an unspecified state (as Go's would be at process exit): one that
// outlives run() should not be used again after that (a Mutex can).
#pragma once

#include <atomic>
#include <cstdint>

#include "mutex.hpp"

namespace gort {

class GORT_CAPABILITY("mutex") RWMutex {
 public:
  constexpr RWMutex() noexcept = default;
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  // Exclusive (writer) side.
  void lock() GORT_ACQUIRE() {
    if (!w_.try_lock_fast()) [[unlikely]] {
      lock_slow();
      return;
    }
    // Announce the writer: readers arriving from now on wait.  r readers are inside.
    const std::int32_t r = reader_count_.fetch_sub(kMaxReaders, std::memory_order_acq_rel);
    if (r != 0) [[unlikely]]
      wait_for_readers(r);
  }
  bool try_lock() GORT_TRY_ACQUIRE(true);
  void unlock() GORT_RELEASE() {
    const std::int32_t r = reader_count_.fetch_add(kMaxReaders, std::memory_order_release) + kMaxReaders;
    if (r != 0) [[unlikely]]
      unlock_slow(r);  // readers waited: release them (or r is not a count: fatal)
    w_.unlock();
  }

  // Shared (reader) side.
  void lock_shared() GORT_ACQUIRE_SHARED() {
    if (reader_count_.fetch_add(1, std::memory_order_acquire) < 0) [[unlikely]]
      wait_for_writer();
  }
  bool try_lock_shared() GORT_TRY_ACQUIRE_SHARED(true) {
    std::int32_t c = reader_count_.load(std::memory_order_relaxed);
    while (c >= 0) {
      if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acquire, std::memory_order_relaxed))
        return true;
    }
    return false;
  }
  void unlock_shared() GORT_RELEASE_SHARED() {
    const std::int32_t r = reader_count_.fetch_sub(1, std::memory_order_release) - 1;
    if (r < 0) [[unlikely]]
      unlock_shared_slow(r);  // a writer is waiting (or the lock was not held)
  }

 private:
  // Go's rwmutexMaxReaders: a writer subtracts it from reader_count_, which then stays
  // negative, with the number of readers still recoverable, until it unlocks.
  static constexpr std::int32_t kMaxReaders = 1 << 30;

  void lock_slow();
  void wait_for_readers(std::int32_t r);
  void unlock_slow(std::int32_t r);
  void wait_for_writer();
  void unlock_shared_slow(std::int32_t r);

  Mutex w_;                                    // held by the writer (pending or active)
  std::atomic<std::uint32_t> writer_sem_{0};   // the writer waits here for departing readers
  std::atomic<std::uint32_t> reader_sem_{0};   // readers wait here for the writer
  std::atomic<std::int32_t> reader_count_{0};  // readers inside or waiting; -kMaxReaders with a writer
  std::atomic<std::int32_t> reader_wait_{0};   // readers the writer still waits for
};

}  // namespace gort
