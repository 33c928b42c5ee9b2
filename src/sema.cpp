// sema.cpp -- semaphores keyed by address (Go's sema.go).
//
// A sync primitive keeps its count in a plain atomic word inside itself; only when a
// party must wait does it come here.  Waiters are kept in a fixed table of roots hashed
// by the word's address (Go's semtable, 251 roots), each a lock and a FIFO list, so a
// primitive carries no wait queue of its own and costs one word.  Parties are
// goroutines or plain threads alike (Waiter).
//
// No lost wake-up: an acquirer raises root.nwait before it checks the count one last
// time under the root lock; a releaser raises the count before it reads nwait.  Both
// are sequentially consistent, so at least one of them sees the other.
//
// Rejected: a wait queue inside every primitive (Mutex would not be one word plus a
// semaphore, and every primitive would repeat the queue and its teardown logic).
#include "sema.hpp"

#include "proc.hpp"

namespace gort::detail {
namespace {

struct SemaWaiter {
  Waiter w;
  const void* addr = nullptr;
  SemaWaiter* prev = nullptr;
  SemaWaiter* next = nullptr;
  bool queued = false;  // root lock
  bool ticket = false;  // the releaser handed us the count
};

struct alignas(64) SemaRoot {
  Lock lock;
  SemaWaiter* head GORT_GUARDED_BY(lock) = nullptr;
  SemaWaiter* tail GORT_GUARDED_BY(lock) = nullptr;
  std::atomic<std::uint32_t> nwait{0};

  void enqueue(SemaWaiter* s, bool lifo) GORT_REQUIRES(lock) {
    s->queued = true;
    if (lifo) {
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
  }
  void remove(SemaWaiter* s) GORT_REQUIRES(lock) {
    if (s->prev != nullptr) s->prev->next = s->next; else head = s->next;
    if (s->next != nullptr) s->next->prev = s->prev; else tail = s->prev;
    s->prev = s->next = nullptr;
    s->queued = false;
  }
  SemaWaiter* dequeue(const void* addr) GORT_REQUIRES(lock) {
    for (SemaWaiter* s = head; s != nullptr; s = s->next) {
      if (s->addr == addr) {
        remove(s);
        return s;
      }
    }
    return nullptr;
  }
};

constexpr std::size_t kSemTabSize = 251;  // Go's semTabSize: prime, spreads aligned addresses
SemaRoot g_semtable[kSemTabSize];

SemaRoot& semroot(const void* addr) {
  return g_semtable[(reinterpret_cast<std::uintptr_t>(addr) >> 3) % kSemTabSize];
}

bool cansemacquire(std::atomic<std::uint32_t>* addr) {
  std::uint32_t v = addr->load(std::memory_order_relaxed);
  while (v > 0) {
    if (addr->compare_exchange_weak(v, v - 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
  }
  return false;
}

bool cancel_wait(G*, void* arg) {
  auto* s = static_cast<SemaWaiter*>(arg);
  SemaRoot& root = semroot(s->addr);
  root.lock.lock();
  const bool queued = s->queued;
  if (queued) {
    root.remove(s);
    root.nwait.fetch_sub(1, std::memory_order_seq_cst);
  }
  root.lock.unlock();
  return queued;  // false: a releaser dequeued it and will wake it
}

}  // namespace

bool semacquire(std::atomic<std::uint32_t>* addr, bool lifo, WaitReason reason) {
  if (cansemacquire(addr)) return true;
  SemaRoot& root = semroot(addr);
  for (;;) {
    SemaWaiter s;
    s.addr = addr;
    root.lock.lock();
    root.nwait.fetch_add(1, std::memory_order_seq_cst);
    if (cansemacquire(addr)) {
      root.nwait.fetch_sub(1, std::memory_order_seq_cst);
      root.lock.unlock();
      return true;
    }
    root.enqueue(&s, lifo);
    bool woken;
    try {
      woken = s.w.park(&root.lock, reason, cancel_wait, &s);
    } catch (...) {
      // Unwound at teardown after a releaser handed us the count: pass it on, so that
      // a primitive used again after run() has not lost it (a Mutex in starvation
      // mode would stay handed to nobody).
      if (s.ticket) semrelease(addr, true);
      throw;
    }
    if (!woken) return false;
    if (s.ticket || cansemacquire(addr)) return true;
    lifo = true;  // woken but beaten to the count: wait at the front this time
  }
}

void semrelease(std::atomic<std::uint32_t>* addr, bool handoff) {
  addr->fetch_add(1, std::memory_order_seq_cst);
  SemaRoot& root = semroot(addr);
  if (root.nwait.load(std::memory_order_seq_cst) == 0) return;
  root.lock.lock();
  if (root.nwait.load(std::memory_order_relaxed) == 0) {
    root.lock.unlock();
    return;
  }
  SemaWaiter* s = root.dequeue(addr);
  if (s != nullptr) root.nwait.fetch_sub(1, std::memory_order_seq_cst);
  root.lock.unlock();
  if (s == nullptr) return;
  if (handoff && cansemacquire(addr)) s->ticket = true;
  s->w.ready();
}

}  // namespace gort::detail
