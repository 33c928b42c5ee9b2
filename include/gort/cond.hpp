// cond.hpp -- gort::Cond (sync.Cond): wait for a condition guarded by a Mutex.
//
//   gort::Mutex mu;
//   gort::Cond ready_cv(mu);
//   std::deque<Job> jobs;  // guarded by mu
//
//   Job take() {
//     std::unique_lock lk(mu);
//     while (jobs.empty()) ready_cv.wait();     // always in a loop, as in Go
//     Job j = std::move(jobs.front());
//     jobs.pop_front();
//     return j;
//   }
//   void put(Job j) {
//     { std::lock_guard lk(mu); jobs.push_back(std::move(j)); }
//     ready_cv.signal();
//   }
//
// wait() must be called with the Cond's mutex locked: it unlocks it, suspends the
// caller until signal() or broadcast() wakes it, and locks the mutex again before
// returning (also when it leaves by an exception, e.g. the caller being unwound at
// the end of gort::run, so that RAII guards stay balanced).  A woken caller cannot
// assume the condition holds -- another party may have run first -- hence the loop.
//
// signal() wakes the longest-waiting caller, broadcast() every caller waiting; both
// may be called with or without the mutex held, and cost one pair of atomic loads
// when nobody waits.  A wake-up is never lost and never goes to a caller that started
// waiting after the signal() (Go's ticket rule).  Waiters park ("sync.Cond.Wait" in
// dump_goroutines) or, on threads that are not goroutines, block the thread; both may
// wait on and signal the same Cond.
//
// Unlike std::condition_variable there are no spurious wake-ups and no timed wait
// (use a channel with select and gort::after for that), and the mutex is a
// gort::Mutex, so the goroutine may hold it across other parks.
//
// At the end of gort::run, goroutines abandoned in wait() are unwound (holding the
// mutex again, see above).  Their tickets are never redeemed, so a Cond that
// outlives run() after such an abandonment may spend a later signal() on one of them:
// do not reuse it across runs.
#pragma once

#include <atomic>
#include <cstdint>

#include "mutex.hpp"

namespace gort {

namespace detail {
// Go's notifyList tickets (the waiting parties themselves are in the runtime's wait
// table, keyed by this object's address).  Atomics only; notify is written under
// the table root's lock.
struct NotifyList {
  std::atomic<std::uint32_t> wait{0};    // next ticket to hand a waiter
  std::atomic<std::uint32_t> notify{0};  // next ticket to wake
};
}  // namespace detail

class Cond {
 public:
  explicit Cond(Mutex& m) noexcept : mu_(m) {}
  Cond(const Cond&) = delete;
  Cond& operator=(const Cond&) = delete;

  void wait();  // the mutex must be held (not annotated: clang cannot see that mutex() is it)
  void signal();
  void broadcast();

  Mutex& mutex() const noexcept { return mu_; }  // Go's c.L

 private:
  Mutex& mu_;
  detail::NotifyList list_;
};

}  // namespace gort
