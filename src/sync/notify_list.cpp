// notify_list.cpp -- wait lists keyed by address (Cond, Semaphore), and Go's
// notifyList (runtime/sema.go) on them.
//
// sema.cpp's queues suit primitives whose waiters are interchangeable: any waiter
// may take a released count.  Cond and the weighted Semaphore need to pick a
// particular waiter (the one holding a given ticket; the oldest one, if its weight
// fits), so their waiters carry a tag and are found by key.  Like sema.cpp's, the
// lists live in a fixed table of roots hashed by the primitive's address rather than
// in the primitive: a Cond stays two words, a Semaphore two, and -- what teardown
// needs -- a waiter can be unlinked without touching the primitive, which may already
// be destroyed when an abandoned goroutine's wait is cancelled (a Cond in main's
// frame after main returned).
//
// Invariants:
//   * A ListWaiter is in its root's list iff `queued`, both changed only under the
//     root lock.  The party that unlinks it (a waker, or the teardown cancel hook)
//     is the only one that may then touch it, and a waker's last touch is w.ready().
//   * A root's list is FIFO in enqueue order for every key; first()/next() walk it
//     skipping other keys (roots are shared only by hash collisions, so the walk is
//     short).
//
// notifyList (Go's, unchanged): a waiter takes a ticket (wait++) while still holding
// the Cond's mutex, then unlocks and sleeps until notify has passed its ticket.
// notify_one wakes the holder of ticket `notify` and advances it; notify_all sets
// notify = wait and wakes everyone queued.  A waiter that took its ticket but has not
// queued yet when its ticket is notified finds notify past it and does not sleep, so
// no wake-up is lost and none goes to a later waiter.  Tickets compare modulo 2^32.
//
// Rejected: a queue and lock inside each Cond/Semaphore (a public header would have
// to expose the runtime's Lock, and teardown would have to reach into a primitive
// that may be gone); std::condition_variable (blocks the thread).
#include "notify_list.hpp"

namespace gort::detail {
namespace {

constexpr std::size_t kTableSize = 251;  // Go's semTabSize: prime, spreads aligned addresses
WaitRoot g_table[kTableSize];

// Ticket a comes before ticket b (Go's less: correct across wrap-around).
bool ticket_before(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }

bool cancel_wait(G*, void* arg) {
  auto* s = static_cast<ListWaiter*>(arg);
  WaitRoot& root = wait_root(s->key);
  root.lock.lock();
  const bool queued = s->queued;
  if (queued) root.remove(s);
  root.lock.unlock();
  return queued;  // false: a waker dequeued it and will wake it
}

}  // namespace

void WaitRoot::push_back(ListWaiter* s) {
  s->queued = true;
  s->next = nullptr;
  s->prev = tail;
  if (tail != nullptr) tail->next = s; else head = s;
  tail = s;
}

void WaitRoot::remove(ListWaiter* s) {
  if (s->prev != nullptr) s->prev->next = s->next; else head = s->next;
  if (s->next != nullptr) s->next->prev = s->prev; else tail = s->prev;
  s->prev = s->next = nullptr;
  s->queued = false;
}

ListWaiter* WaitRoot::first(const void* key) const {
  ListWaiter* s = head;
  while (s != nullptr && s->key != key) s = s->next;
  return s;
}

ListWaiter* WaitRoot::next(const ListWaiter* s) const {
  ListWaiter* n = s->next;
  while (n != nullptr && n->key != s->key) n = n->next;
  return n;
}

WaitRoot& wait_root(const void* key) {
  return g_table[(reinterpret_cast<std::uintptr_t>(key) >> 3) % kTableSize];
}

bool wait_in(WaitRoot& root, ListWaiter* s, WaitReason reason) {
  root.push_back(s);
  return s->w.park(&root.lock, reason, cancel_wait, s);
}

// ------------------------------------------------------------------ notifyList

std::uint32_t notify_list_add(NotifyList* l) { return l->wait.fetch_add(1, std::memory_order_seq_cst); }

void notify_list_wait(NotifyList* l, std::uint32_t ticket) {
  WaitRoot& root = wait_root(l);
  root.lock.lock();
  if (ticket_before(ticket, l->notify.load(std::memory_order_relaxed))) {  // already notified
    root.lock.unlock();
    return;
  }
  ListWaiter s;
  s.key = l;
  s.tag = ticket;
  wait_in(root, &s, WaitReason::kSyncCondWait);
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
  ListWaiter* s = root.first(l);
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
  ListWaiter* woken = nullptr;
  ListWaiter** tail = &woken;
  for (ListWaiter* s = root.first(l); s != nullptr;) {
    ListWaiter* n = root.next(s);
    root.remove(s);
    *tail = s;
    tail = &s->next;
    s = n;
  }
  root.lock.unlock();
  while (woken != nullptr) {
    ListWaiter* n = woken->next;  // read before ready(): the waiter may return at once
    woken->w.ready();
    woken = n;
  }
}

}  // namespace gort::detail
