// cond.cpp -- sync.Cond (Go's sync/cond.go) on the notifyList (notify_list.cpp).
//
// wait(): take a ticket while the mutex is still held, unlock, sleep until the
// ticket is notified, lock again.  Taking the ticket before unlocking is what makes
// a signal() that follows a change of the condition (made under the mutex) find this
// waiter even if it has not gone to sleep yet: that signal notifies its ticket, and
// the waiter then does not sleep at all.
//
// Leaving by an exception (the waiting goroutine unwound at the end of run()), wait()
// relocks the mutex before propagating it, like std::condition_variable: the caller's
// std::unique_lock then unlocks a mutex it holds, instead of one it does not (a fatal
// error).  If that relock must wait, it is itself a cancelled park at teardown and
// returns as if granted (Mutex, teardown).
//
// Rejected: Go's copy checker (a Cond is not copyable here); a Locker interface for
// the mutex (API.md fixes gort::Mutex; a template would put the slow path in every
// user's translation unit).
#include <gort/cond.hpp>

#include "notify_list.hpp"

namespace gort {

// Annotated here only, so that the body is checked: in cond.hpp the annotation would
// give false warnings to callers that lock through libstdc++'s unannotated unique_lock.
void Cond::wait() GORT_REQUIRES(mu_) {
  const std::uint32_t ticket = detail::notify_list_add(&list_);
  mu_.unlock();
  try {
    detail::notify_list_wait(&list_, ticket);
  } catch (...) {
    mu_.lock();
    throw;
  }
  mu_.lock();
}

void Cond::signal() { detail::notify_list_notify_one(&list_); }

void Cond::broadcast() { detail::notify_list_notify_all(&list_); }

}  // namespace gort
