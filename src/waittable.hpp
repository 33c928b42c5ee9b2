// waittable.hpp -- the table of wait lists keyed by address that every sync primitive
// parks in (Go's semTable).  Design: waittable.cpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "proc.hpp"

namespace gort::detail {

// One waiting party, in its own frame.  Queued under its root's lock; once a waker
// has unlinked it (queued false), the waker owns it until it calls w.ready().
struct WaitNode {
  Waiter w;
  const void* key = nullptr;  // the primitive (or its word) waited on
  std::uint64_t tag = 0;      // the primitive's own: Cond, a ticket; Semaphore, a weight
  WaitNode* prev = nullptr;   // root lock
  WaitNode* next = nullptr;   // root lock
  bool queued = false;        // root lock
  bool granted = false;       // written by the waker that unlinked it, before w.ready()
};

// A lock and a FIFO list of the waiters of every key that hashes here.
struct alignas(64) WaitRoot {
  Lock lock;
  WaitNode* head GORT_GUARDED_BY(lock) = nullptr;
  WaitNode* tail GORT_GUARDED_BY(lock) = nullptr;
  // Nodes queued here, whatever their key.  Written under lock; read lock-free by
  // semrelease to skip the lock when nobody waits (the protocol: sema.cpp).
  std::atomic<std::uint32_t> nwait{0};

  // Queues s at the tail, or at the head with `front` (sema's lifo).  The count is
  // raised with a sequentially consistent store: before the caller checks, one last
  // time, whether it must sleep at all.
  void push(WaitNode* s, bool front = false) GORT_REQUIRES(lock) {
    s->queued = true;
    if (front) {
      s->prev = nullptr;
      s->next = head;
      if (head != nullptr) head->prev = s; else tail = s;
      head = s;
    } else {
      s->next = nullptr;
      s->prev = tail;
      if (tail != nullptr) tail->next = s; else head = s;
      tail = s;
    }
    nwait.store(nwait.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
  }
  void remove(WaitNode* s) GORT_REQUIRES(lock) {
    if (s->prev != nullptr) s->prev->next = s->next; else head = s->next;
    if (s->next != nullptr) s->next->prev = s->prev; else tail = s->prev;
    s->prev = s->next = nullptr;
    s->queued = false;
    // A stale larger count only costs a reader the lock.
    nwait.store(nwait.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
  // The oldest waiter for key, or null.
  WaitNode* first(const void* key) const GORT_REQUIRES(lock) {
    WaitNode* s = head;
    while (s != nullptr && s->key != key) s = s->next;
    return s;
  }
  // The next waiter for s's key after s, or null.
  WaitNode* next(const WaitNode* s) const GORT_REQUIRES(lock) {
    WaitNode* n = s->next;
    while (n != nullptr && n->key != s->key) n = n->next;
    return n;
  }

  // Parks s, which the caller queued here, until a waker unlinks it and readies it;
  // the lock is released once the party can no longer miss the wake-up.  At teardown
  // s is unlinked (nothing else is touched: the primitive may be gone) and, as
  // Waiter::park, this throws AbandonUnwind or returns false.
  bool park(WaitNode* s, WaitReason reason) GORT_RELEASE(lock);
};

// Go's semTabSize: prime, so that aligned addresses spread over every root.
constexpr std::size_t kWaitTableSize = 251;
extern WaitRoot g_waittable[kWaitTableSize];

// The root of key's waiters.
inline WaitRoot& wait_root(const void* key) {
  return g_waittable[(reinterpret_cast<std::uintptr_t>(key) >> 3) % kWaitTableSize];
}

}  // namespace gort::detail
