// rwmutex.cpp -- sync.RWMutex (Go's sync/rwmutex.go): the slow paths.
//
// Go's design, unchanged, because its fast paths are one atomic each for readers:
//   reader_count_  readers inside or waiting to enter.  A writer that holds w_
//                  subtracts kMaxReaders once, so the count goes negative: every
//                  lock_shared() that sees a negative result waits on reader_sem_,
//                  and every unlock_shared() that does is a reader the writer waits
//                  for.  unlock() adds kMaxReaders back; the result is the number of
//                  readers that queued meanwhile, each released once on reader_sem_.
//   reader_wait_   readers the writer still waits for: it adds r, the readers it found
//                  inside; each departing reader subtracts one (possibly before the
//                  writer's add: the sum is what counts); whoever brings it to 0 when
//                  the writer waits releases writer_sem_ once.
//   w_             a Mutex that orders writers among themselves; held from the start
//                  of lock() to the end of unlock().
// Writer preference without starvation either way: once a writer announced itself,
// new readers queue behind it; when it unlocks, the readers that queued during its
// turn are all admitted before w_ is released to the next writer.
//
// All parties block through the sema core (goroutines park, threads sleep), with
// wait reasons sync.RWMutex.RLock (readers) and sync.RWMutex.Lock (writers, both
// on w_ and on writer_sem_).  At teardown a cancelled wait of an already-unwinding
// goroutine returns as if the lock had been granted (a neutral result); an RWMutex on
// which a goroutine was abandoned mid-wait is left in an unspecified state, as Go's
// would be at process exit.  Misuse detection (unlock of what is not held) is off
// while the runtime is abandoning goroutines, for the same reason as Mutex's.
//
// Rejected alternatives:
//   * Per-CPU (or per-P) reader counters (folly's SharedMutex, Linux's percpu-rwsem):
//     scale read-mostly loads across many cores, but a writer must visit every slot
//     and the lock grows to a cache line per CPU; Go's single counter is the contract
//     the benchmarks compare against.
//   * Reader preference (pthread's default): writers starve under a stream of readers.
//   * Building RWMutex on a Mutex + Cond: two extra lock round trips per reader.
#include <gort/rwmutex.hpp>

#include "../fatal.hpp"
#include "../runtime2.hpp"
#include "../sema.hpp"

namespace gort {

namespace {
bool abandoning() { return detail::sched.abandoning.load(std::memory_order_acquire); }
}  // namespace

bool RWMutex::try_lock() {
  if (!w_.try_lock()) return false;
  std::int32_t none = 0;
  if (!reader_count_.compare_exchange_strong(none, -kMaxReaders, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
    w_.unlock();
    return false;
  }
  return true;
}

void RWMutex::lock_slow() {
  w_.lock_slow(detail::WaitReason::kSyncRWMutexLock);
  const std::int32_t r = reader_count_.fetch_sub(kMaxReaders, std::memory_order_acq_rel);
  if (r != 0) wait_for_readers(r);
}

void RWMutex::wait_for_readers(std::int32_t r) {
  // Readers that left between the announcement and here have already subtracted.
  if (reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0)
    detail::semacquire(&writer_sem_, false, detail::WaitReason::kSyncRWMutexLock);
}

void RWMutex::unlock_slow(std::int32_t r) {
  if (r >= kMaxReaders) {
    if (abandoning()) {
      reader_count_.fetch_sub(kMaxReaders, std::memory_order_relaxed);
      return;  // and unlock() releases w_ as a cancelled lock() left it
    }
    detail::fatal("sync: Unlock of unlocked RWMutex");
  }
  for (std::int32_t i = 0; i < r; ++i) detail::semrelease(&reader_sem_, false);
}

void RWMutex::wait_for_writer() {
  detail::semacquire(&reader_sem_, false, detail::WaitReason::kSyncRWMutexRLock);
}

void RWMutex::unlock_shared_slow(std::int32_t r) {
  if (r + 1 == 0 || r + 1 == -kMaxReaders) {
    if (abandoning()) {
      reader_count_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    detail::fatal("sync: RUnlock of unlocked RWMutex");
  }
  // A writer is pending: the last of the readers it waits for lets it in.
  if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) detail::semrelease(&writer_sem_, false);
}

}  // namespace gort
