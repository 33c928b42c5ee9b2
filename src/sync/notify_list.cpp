// notify_list.cpp -- Go's notifyList (runtime/sema.go), for Cond, on the wait table.
//
// The waiters of a Cond are not interchangeable: each holds a ticket, and a signal
// wakes the holder of the oldest ticket not yet notified.  They wait in the wait table
// (waittable.cpp) under the NotifyList's address, their ticket in the node's tag, so
// a Cond carries no queue and teardown can unlink a waiter of a Cond already gone.
//
// Go's algorithm, unchanged: a waiter takes a ticket (wait++) while still holding the
// Cond's mutex, then unlocks and sleeps until notify has passed its ticket.
// notify_one wakes the holder of ticket `notify` and advances it; notify_all sets
// notify = wait and wakes everyone queued.  A waiter that took its ticket but has not
// queued yet when its ticket is notified finds notify past it under the root lock and
// does not sleep, so no wake-up is lost and none goes to a later waiter.  Tickets
// compare modulo 2^32.  notify is written only under the root lock.
//
// Rejected: a queue and lock inside each Cond (waittable.cpp says why);
// std::condition_variable (blocks the thread).
#include "notify_list.hpp"

#include "../waittable.hpp"

namespace gort::detail {
namespace {

// Ticket a comes before ticket b (Go's less: correct across wrap-around).
bool ticket_before(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }

}  // namespace

std::uint32_t notify_list_add(NotifyList* l) { return l->wait.fetch_add(1, std::memory_order_seq_cst); }

void notify_list_wait(NotifyList* l, std::uint32_t ticket) {
  WaitRoot& root = wait_root(l);
  root.lock.lock();
  if (ticket_before(ticket, l->notify.load(std::memory_order_relaxed))) {  // already notified
    root.lock.unlock();
    return;
  }
  WaitNode s;
  s.key = l;
  s.tag = ticket;
  root.push(&s);
  root.park(&s, WaitReason::kSyncCondWait);
}

void notify_list_notify_one(NotifyList* l) {
  // Nobody took a ticket since the last notification: nothing to do, without the lock.
  if (l->wait.load(std::memory_order_seq_cst) == l->notify.load(std::memory_order_seq_cst)) return;
  WaitRoot& root = wait_root(l);
  root.lock.lock();
  const std::uint32_t t = l->notify.load(std::memory_order_relaxed);
  if (t == l->wait.load(std::memory_order_seq_cst)) {
    root.lock.unlock();
    return;
  }
  l->notify.store(t + 1, std::memory_order_seq_cst);
  // The holder of ticket t may not have queued yet: then it finds notify past its
  // ticket and returns at once.
  WaitNode* s = root.first(l);
  while (s != nullptr && s->tag != t) s = root.next(s);
  if (s != nullptr) root.remove(s);
  root.lock.unlock();
  if (s != nullptr) s->w.ready();
}

void notify_list_notify_all(NotifyList* l) {
  if (l->wait.load(std::memory_order_seq_cst) == l->notify.load(std::memory_order_seq_cst)) return;
  WaitRoot& root = wait_root(l);
  root.lock.lock();
  l->notify.store(l->wait.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
  // Unlink them all under the lock, wake them after it: a chain through `next`,
  // which nobody else reads once they are unlinked.
  WaitNode* woken = nullptr;
  WaitNode** tail = &woken;
  for (WaitNode* s = root.first(l); s != nullptr;) {
    WaitNode* n = root.next(s);
    root.remove(s);
    *tail = s;
    tail = &s->next;
    s = n;
  }
  root.lock.unlock();
  while (woken != nullptr) {
    WaitNode* n = woken->next;  // read before ready(): the waiter may return at once
    woken->w.ready();
    woken = n;
  }
}

}  // namespace gort::detail
