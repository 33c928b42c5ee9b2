// waittable.cpp -- the wait lists every sync primitive parks in: one fixed table of
// roots hashed by the primitive's address (Go's semTable), each a lock and a FIFO of
// waiting parties.
//
// A primitive keeps its state in atomic words inside itself and comes here only when a
// party must wait, so it carries no wait queue of its own: a Mutex is two 32-bit words,
// a Semaphore two 64-bit ones.  And -- what teardown needs -- a waiter can be unlinked
// without touching the primitive, which may already be destroyed when an abandoned
// goroutine's wait is cancelled (a Cond in main's frame after main returned).  Two
// kinds of users share the table:
//   * sema.cpp (Go's semacquire/semrelease: Mutex, RWMutex, WaitGroup, Once, net's
//     fd locks), whose waiters are interchangeable: any may take a released count.
//   * the primitives that must pick one waiter: Cond (the holder of a given ticket,
//     Go's notifyList, sync/notify_list.cpp) and Semaphore (the oldest, if its
//     weight fits, sync/semaphore.cpp).  Their waiters carry a tag and are found by
//     key.
// Parties are goroutines or plain threads alike (Waiter).
//
// Invariants:
//   * A WaitNode is in its root's list iff `queued`, both changed only under the root
//     lock; nwait counts the nodes in the list.  The party that unlinks a node (a
//     waker, or the teardown cancel hook) is the only one that may then touch it, and
//     a waker's last touch is w.ready().
//   * A root's list is FIFO in enqueue order for every key (sema's lifo aside: a
//     waiter that already waited goes to the front); first()/next() walk it skipping
//     other keys (roots are shared only by hash collisions, so the walk is short).
//
// Rejected:
//   * A queue and lock inside each primitive: a public header would have to expose
//     the runtime's Lock, Mutex would not be one word plus a semaphore, teardown
//     would have to reach into a primitive that may be gone, and every primitive
//     would repeat the queue and its teardown logic.
//   * Go's treap of addresses per root (one list per address, found in O(log n)): it
//     serves programs with thousands of distinct contended addresses per root; here a
//     root holds the waiters of the few primitives that collide, and the list walk
//     is cheaper than keeping a tree balanced.
//   * One table per kind of user (sema.cpp and notify_list.cpp once had one each):
//     two copies of the list, its cancel hook and its park, for nothing; a collision
//     between a Mutex and a Cond costs one skipped node.
#include "waittable.hpp"

namespace gort::detail {

WaitRoot g_waittable[kWaitTableSize];

namespace {

// Teardown: unlinks the node of a goroutine parked in the table.
bool cancel_wait(G*, void* arg) {
  auto* s = static_cast<WaitNode*>(arg);
  WaitRoot& root = wait_root(s->key);
  root.lock.lock();
  const bool queued = s->queued;
  if (queued) root.remove(s);
  root.lock.unlock();
  return queued;  // false: a waker dequeued it and will wake it
}

}  // namespace

bool WaitRoot::park(WaitNode* s, WaitReason reason) { return s->w.park(&lock, reason, cancel_wait, s); }

}  // namespace gort::detail
