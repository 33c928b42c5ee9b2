// notify_list.hpp -- wait lists keyed by address, for the primitives whose waiters
// are not interchangeable: Cond (each waiter holds a ticket, Go's notifyList) and
// Semaphore (each waiter wants a weight).  Design: notify_list.cpp.
#pragma once

#include <cstdint>

#include <gort/cond.hpp>

#include "../proc.hpp"

namespace gort::detail {

// One waiting party, in its own frame.  Queued under its root's lock; once a waker
// has unlinked it (queued false), the waker owns it until it calls w.ready().
struct ListWaiter {
  Waiter w;
  const void* key = nullptr;   // the primitive waited on
  std::uint64_t tag = 0;       // Cond: ticket; Semaphore: weight
  ListWaiter* prev = nullptr;  // root lock
  ListWaiter* next = nullptr;  // root lock
  bool queued = false;         // root lock
  bool granted = false;        // written by the waker that unlinked it, before w.ready()
};

// A lock and a FIFO list of the waiters of every key that hashes here.
struct alignas(64) WaitRoot {
  Lock lock;
  ListWaiter* head GORT_GUARDED_BY(lock) = nullptr;
  ListWaiter* tail GORT_GUARDED_BY(lock) = nullptr;

  void push_back(ListWaiter* s) GORT_REQUIRES(lock);
  void remove(ListWaiter* s) GORT_REQUIRES(lock);
  ListWaiter* first(const void* key) const GORT_REQUIRES(lock);  // the oldest waiter for key, or null
  ListWaiter* next(const ListWaiter* s) const GORT_REQUIRES(lock);  // the next waiter for s's key, or null
};

WaitRoot& wait_root(const void* key);

// Queues s (key and tag set) at the tail of root, which the caller has locked, and
// parks until a waker unlinks it and readies it; the lock is released once the party
// can no longer miss the wake-up.  At teardown s is unlinked (nothing else is
// touched: the primitive may be gone) and, as Waiter::park, this throws
// AbandonUnwind or returns false.
bool wait_in(WaitRoot& root, ListWaiter* s, WaitReason reason) GORT_RELEASE(root.lock);

// Go's notifyList (runtime/sema.go), for Cond.
std::uint32_t notify_list_add(NotifyList* l);               // takes a ticket; before unlocking
void notify_list_wait(NotifyList* l, std::uint32_t ticket);  // sleeps until that ticket is notified
void notify_list_notify_one(NotifyList* l);
void notify_list_notify_all(NotifyList* l);

}  // namespace gort::detail
