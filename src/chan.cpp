// chan.cpp -- channels (Go's chan.go): make, send, receive, close, and their lifetime.
//
// One type-erased implementation serves every Chan<T>: the core moves elements with
// the two operations of a ChanElemType (or memcpy for trivially copyable T) and
// never sees T.  select (select.cpp) reuses the locked cores declared in chan.hpp.
//
// Invariants (Go's, checked by reading the code paths below):
//   * At most one of recvq and sendq holds parties, except for an unbuffered channel
//     on which one select waits to both send and receive.
//   * Buffered: qcount > 0 implies recvq is empty; qcount < dataqsiz implies sendq is
//     empty.  So a receiver finding a parked sender knows the ring is full, takes its
//     head, and moves the sender's value into the slot just freed (FIFO preserved).
//   * Once closed, a channel never gets a new waiter: close wakes every party queued,
//     senders enqueue only on an open channel, receivers only on an open, empty one.
//   * Every queue, buffer slot, sendx and recvx is touched only under hchan.lock,
//     and it is the only lock an operation holds (select holds several, in address
//     order).  Wake-ups (Waiter::ready) happen after the lock is released.
//   * What an operation does once it holds the lock is decided in one place, the
//     locked cores send_locked / recv_locked (chan.hpp), which chansend, chanrecv and
//     select's poll all call: one copy of the hand-off, buffer and closed rules.
//   * A Sudog belongs to the channel while queued; the party that dequeues it (and,
//     for a select, wins Waiter::selected) owns it until ready().  So the unbuffered
//     hand-off copies the value after unlocking: no other party can reach that Sudog,
//     and the parked party cannot run before ready().
//   * A channel is never freed while a parked party may still touch it, even when the
//     handle the party called through dies meanwhile (a goroutine that captured it by
//     reference, parked at teardown).  Each queued Sudog pins its channel
//     (waitq::pins, plain counts under the lock: no atomic per park), from enqueue
//     until the party is done with the channel.  A waker unpins the Sudog it dequeues
//     (the woken party touches nothing of the channel afterwards: what it needs, it
//     copied into the Sudog or its frame); an owner unlinking its own Sudog (a
//     select's other cases, a cancelled wait) unpins it then.  The release of the last
//     reference takes the lock: with no pin it frees, else it marks the channel
//     orphaned, and whoever unpins the last Sudog frees it (claim_orphan) -- a waker
//     holding a heap lock (a timer's send) cannot, so it leaves that to the party it
//     wakes (Sudog::reap).  Rejected: a counted reference per parked party (what gort
//     did first): two atomic read-modify-writes per channel per park, 16% of a select
//     over four channels and 13% of an unbuffered ping-pong at 1 P.
//
// Values move exactly once per hop: sender's frame -> receiver's frame (unbuffered or
// a parked receiver), sender's frame -> ring slot -> receiver's frame (buffered).
// Nothing is lost or duplicated: a value leaves a frame only through elem_move by the
// party that owns both ends at that moment, and a value left in the ring when the
// last handle goes is destroyed there.
//
// Lock-free fast paths (Go's): a non-blocking operation that would block returns
// without the lock after reading closed and the queue/buffer state with atomic loads.
// Sending: "not closed" then "full" implies a moment when the channel was open and
// full, since a closed channel never becomes full again.  Receiving: "empty" then
// "not closed" implies a moment when it was empty and open; "closed" then "empty"
// (closed is stored with release after every buffered value) means closed and
// drained.  Blocking operations always take the lock: one lock round trip per
// operation, and a hand-off to a parked party calls nothing in the scheduler but
// goready.
//
// Waiting parties are goroutines or plain threads (Waiter): a thread, or a goroutine
// inside gort::blocking, blocks on a futex instead of parking.  At run() teardown a
// parked goroutine's wait is cancelled (cancel_wait takes the channel lock and
// unlinks its Sudog); a value already handed to it is destroyed when it unwinds.
//
// Rejected alternatives:
//   * A lock-free ring for buffered channels (Vyukov's bounded MPMC queue; Go's own
//     2014 lock-free channel proposal).  Close, parked senders whose values must enter
//     the ring in order, and select over several channels must all be atomic with the
//     ring state, which brings the lock back on every slow path while doubling the
//     states to reason about; Go declined it for the same reason.
//   * std::mutex + std::condition_variable: blocks the M instead of parking the
//     goroutine, and gopark must release the lock from the next context on the thread.
//   * std::shared_ptr<hchan>: a separate control block and weak count.  The intrusive
//     count lives in the single allocation that holds the header and the ring.
//   * Go's pooled, heap-allocated sudogs (acquireSudog): C++ frames never move (no
//     stack copying), so a Sudog in the blocking call's frame stays valid while it
//     is parked, and blocking costs no allocation.
#include "chan.hpp"

#include <algorithm>
#include <exception>
#include <new>

#include <gort/panic.hpp>

#include "fatal.hpp"

namespace gort::detail {

namespace {

// Go's maxAlloc on 64-bit Linux (1 << 48): larger buffers panic "makechan: size out
// of range" instead of asking the allocator.
constexpr std::size_t kMaxAlloc = std::size_t{1} << 48;

constexpr std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

// Teardown: unlinks the Sudog of a goroutine parked in send or recv.
bool cancel_wait(G*, void* arg) {
  auto* sg = static_cast<Sudog*>(arg);
  hchan* c = sg->c;
  c->lock.lock();
  waitq& q = sg->is_send ? c->sendq : c->recvq;
  const bool queued = q.contains(sg);
  q.remove(sg);
  const bool reap = c->claim_orphan();
  c->lock.unlock();
  if (reap) chan_release_orphan(c);
  return queued;  // false: a waker dequeued it and will wake it
}

// Randomized schedules (proc.cpp): a blocking operation that readied its partner, or
// was woken by it, may yield here, so that the partner may run before the caller goes
// on.  Not for try_ operations (block false): they are not scheduling points.
void yield_point(bool block) {
  if (block) random_yield_point();
}

// The same for a receiver that holds the value received in ep: if teardown unwinds it
// from the yield, the value dies with it.  `destroy` is the channel's (which may be gone
// after a wake-up).
void yield_point_holding(void (*destroy)(void*) noexcept, void* ep, bool block) {
  if (!block || !sched.randomize.load(std::memory_order_relaxed)) return;
  try {
    random_yield();
  } catch (...) {
    if (destroy != nullptr) destroy(ep);
    throw;
  }
}

// What a locked core's step other than a hand-off means for the caller.
ChanStatus status_of(ChanStep step) {
  if (step == ChanStep::kBuffer) return ChanStatus::kOk;
  return step == ChanStep::kClosed ? ChanStatus::kClosed : ChanStatus::kNotReady;
}

}  // namespace

// ----------------------------------------------------------------- lifetime

#if defined(GORT_DEBUG_CHECKS)
Sudog::~Sudog() {
  // Unlinked means no links and not marked queued (remove and dequeue clear all
  // three).  The channel itself may be gone by now (a party does not pin it after its
  // wake-up), so only the Sudog's own record is read.
  GORT_CHECK(!queued && next == nullptr && prev == nullptr,
             "sudog %p of channel %p still queued when its frame ended (next %p, prev %p)", static_cast<void*>(this),
             static_cast<void*>(c), static_cast<void*>(next), static_cast<void*>(prev));
}
#endif

hchan* makechan(const ChanElemType* t, std::size_t size) {
  const std::size_t align = std::max(alignof(hchan), t->align);
  const std::size_t header = round_up(sizeof(hchan), t->align);
  if (t->size != 0 && size > (kMaxAlloc - header) / t->size) panic("makechan: size out of range");
  const std::size_t bufbytes = size * t->size;
  auto* mem = static_cast<unsigned char*>(::operator new(header + bufbytes, std::align_val_t(align)));
  return ::new (mem) hchan(size, bufbytes != 0 ? mem + header : nullptr, t, align);
}

void chan_retain(hchan* c) noexcept {
  if (c != nullptr) c->refs.fetch_add(1, std::memory_order_relaxed);
}

namespace {

// The last reference went: unless a parked party still pins c, true, and the caller
// releases it; else c is orphaned, and the party that unpins it last releases it.
// In a program whose parties call through live handles, every party is done with c
// before the last handle goes, and the lock-free look says so.  Else (a handle died
// under a parked party) the lock orders this against that party unlinking its Sudog:
// either it sees the flag, or this sees no pin.
bool unpinned_at_last_release(hchan* c) noexcept {
  if (!c->pinned()) return true;
  LockGuard lk(c->lock);
  if (!c->pinned()) return true;
  c->orphaned = true;
  return false;
}

}  // namespace

void chan_release_orphan(hchan* c) noexcept {
  const bool kept = c->kept;  // read first: a kept channel's hook may free it
  if (c->on_release != nullptr) c->on_release(c->on_release_arg);
  if (!kept) chan_free(c);
}

void chan_release(hchan* c) noexcept {
  if (c == nullptr || c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (unpinned_at_last_release(c)) chan_release_orphan(c);
}

bool chan_release_kept(hchan* c) noexcept {
  return c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1 && unpinned_at_last_release(c);
}

void chan_free(hchan* c) noexcept {
  if (!c->recvq.empty() || !c->sendq.empty()) fatal("chan: last handle released while a party waits on it");
  if (c->destroy != nullptr) {
    LockGuard lk(c->lock);  // no handle is left, so nobody contends: one rule for recvx
    const std::size_t n = c->qcount.load(std::memory_order_relaxed);
    for (std::size_t i = 0, x = c->recvx; i < n; ++i) {
      c->destroy(c->chanbuf(x));
      if (++x == c->dataqsiz) x = 0;
    }
  }
  const std::size_t align = c->alloc_align;
  c->~hchan();
  ::operator delete(static_cast<void*>(c), std::align_val_t(align));
}

std::size_t chanlen(const hchan* c) noexcept {
  return c != nullptr && !c->is_timer ? c->qcount.load(std::memory_order_relaxed) : 0;
}

std::size_t chancap(const hchan* c) noexcept { return c != nullptr && !c->is_timer ? c->dataqsiz : 0; }

void park_forever(WaitReason reason) {
  Waiter w;
  w.park(nullptr, nullptr, reason, nullptr, nullptr);
}

// --------------------------------------------------------------- operations

ChanStatus chansend(hchan* c, void* ep, bool block) {
  if (c == nullptr) {
    if (!block) return ChanStatus::kNotReady;
    park_forever(WaitReason::kChanSendNilChan);
    return ChanStatus::kCancelled;
  }
  if (!block && c->closed.load(std::memory_order_acquire) == 0 && c->full()) return ChanStatus::kNotReady;

  c->lock.lock();
  Sudog* partner;
  const ChanStep step = send_locked(c, ep, &partner);
  if (step == ChanStep::kHandoff) {
    c->lock.unlock();
    send_finish(c, partner, ep);
    yield_point(block);
    return ChanStatus::kOk;
  }
  if (step != ChanStep::kNotReady || !block) {
    c->lock.unlock();
    if (step == ChanStep::kClosed) panic("send on closed channel");
    return status_of(step);
  }

  Waiter w;
  Sudog sg{.waiter = &w, .elem = ep, .c = c, .is_send = true};
  c->sendq.enqueue(&sg);
  ReapAtExit reap(c, sg);  // from here on, c may be gone once the wait ends
  if (!w.park(&c->lock, WaitReason::kChanSend, cancel_wait, &sg)) return ChanStatus::kCancelled;
  if (!sg.success) panic("send on closed channel");  // woken by close
  yield_point(true);
  return ChanStatus::kOk;
}

ChanStatus chanrecv(hchan* c, void* ep, bool block) {
  if (c == nullptr) {
    if (!block) return ChanStatus::kNotReady;
    park_forever(WaitReason::kChanReceiveNilChan);
    return ChanStatus::kCancelled;
  }
  if (!block && c->empty()) {
    if (c->closed.load(std::memory_order_acquire) == 0) return ChanStatus::kNotReady;
    if (c->empty()) return ChanStatus::kClosed;
  }

  c->lock.lock();
  Sudog* partner;
  const ChanStep step = recv_locked(c, ep, &partner);
  if (step == ChanStep::kHandoff) {
    c->lock.unlock();
    recv_finish(c, partner, ep);
    yield_point_holding(c->destroy, ep, block);
    return ChanStatus::kOk;
  }
  if (step != ChanStep::kNotReady || !block) {
    c->lock.unlock();
    return status_of(step);
  }

  Waiter w;
  Sudog sg{.waiter = &w, .elem = ep, .c = c, .destroy = c->destroy};
  c->recvq.enqueue(&sg);
  ReapAtExit reap(c, sg);  // from here on, c may be gone once the wait ends
  bool woken;
  try {
    woken = w.park(&c->lock, WaitReason::kChanReceive, cancel_wait, &sg);
  } catch (...) {
    // Teardown unwinds a goroutine that a sender had already handed a value to.
    if (sg.success && sg.destroy != nullptr) sg.destroy(ep);
    throw;
  }
  if (!woken) return ChanStatus::kCancelled;
  if (!sg.success) {
    yield_point(true);
    return ChanStatus::kClosed;
  }
  yield_point_holding(sg.destroy, ep, true);
  return ChanStatus::kOk;
}

void closechan(hchan* c) {
  if (c == nullptr) panic("close of nil channel");
  c->lock.lock();
  if (c->closed.load(std::memory_order_relaxed) != 0) {
    c->lock.unlock();
    panic("close of closed channel");
  }
  c->closed.store(1, std::memory_order_release);
  // Take every waiter while holding the lock, wake them after releasing it.  Dequeued
  // Sudogs are ours, so their `next` links the wake list.
  Sudog* wake_list = nullptr;
  Sudog** tail = &wake_list;
  for (waitq* q : {&c->recvq, &c->sendq}) {
    while (Sudog* sg = q->dequeue()) {
      *tail = sg;
      tail = &sg->next;
    }
  }
  *tail = nullptr;
  // A context's done channel may be closed by a cancel after its last handle went.
  if (wake_list != nullptr && c->claim_orphan()) wake_list->reap = true;
  c->lock.unlock();
  while (Sudog* sg = wake_list) {
    wake_list = sg->next;
    sg->next = nullptr;  // unlinked again, as waitq::remove expects of a dequeued Sudog
    wake(sg, false);     // receivers get nullopt, senders panic
  }
}

}  // namespace gort::detail
