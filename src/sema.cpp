// sema.cpp -- semaphores keyed by address (Go's sema.go): semacquire/semrelease.
//
// A sync primitive keeps its count in a plain atomic word inside itself; only when a
// party must wait does it come here.  Waiters are WaitNodes in the wait table
// (waittable.cpp) under the word's address; they are interchangeable, so a release
// wakes the oldest one for that word, whichever it is.
//
// No lost wake-up: an acquirer queues itself, which raises root.nwait, before it
// checks the count one last time under the root lock; a releaser raises the count
// before it reads nwait.  Both are sequentially consistent, so at least one of them
// sees the other.
//
// Hand-off (Go's semrelease handoff): the releaser takes the count back itself and
// marks the woken waiter `granted`, so that no newcomer can take it first.  A waiter
// woken without it that finds the count gone again queues at the front (lifo): it has
// already waited its turn once.
//
// Rejected: a wait queue inside every primitive (waittable.cpp says why).
#include "sema.hpp"

#include "waittable.hpp"

namespace gort::detail {
namespace {

// The load is sequentially consistent (a plain load on x86): it is the acquirer's
// last check, which must not be ordered before its raise of nwait (Go's atomic.Load).
bool cansemacquire(std::atomic<std::uint32_t>* addr) {
  std::uint32_t v = addr->load(std::memory_order_seq_cst);
  while (v > 0) {
    if (addr->compare_exchange_weak(v, v - 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
  }
  return false;
}

}  // namespace

bool semacquire(std::atomic<std::uint32_t>* addr, bool lifo, WaitReason reason) {
  if (cansemacquire(addr)) return true;
  WaitRoot& root = wait_root(addr);
  for (;;) {
    WaitNode s;
    s.key = addr;
    root.lock.lock();
    root.push(&s, lifo);  // raises nwait before the last check
    if (cansemacquire(addr)) {
      root.remove(&s);
      root.lock.unlock();
      return true;
    }
    bool woken;
    try {
      woken = root.park(&s, reason);
    } catch (...) {
      // Unwound at teardown after a releaser handed us the count: pass it on, so that
      // a primitive used again after run() has not lost it (a Mutex in starvation
      // mode would stay handed to nobody).
      if (s.granted) semrelease(addr, true);
      throw;
    }
    if (!woken) return false;
    if (s.granted || cansemacquire(addr)) return true;
    lifo = true;  // woken but beaten to the count: wait at the front this time
  }
}

void semrelease(std::atomic<std::uint32_t>* addr, bool handoff) {
  addr->fetch_add(1, std::memory_order_seq_cst);
  WaitRoot& root = wait_root(addr);
  if (root.nwait.load(std::memory_order_seq_cst) == 0) return;
  root.lock.lock();
  WaitNode* s = root.first(addr);
  if (s != nullptr) root.remove(s);
  root.lock.unlock();
  if (s == nullptr) return;
  if (handoff && cansemacquire(addr)) s->granted = true;
  s->w.ready();
}

}  // namespace gort::detail
