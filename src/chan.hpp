// chan.hpp -- the channel's data: hchan, sudog, waitq (Go's chan.go and runtime2.go).
// Design and invariants: chan.cpp (channels) and select.cpp (select).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <gort/detail/chan_core.hpp>

#include "check.hpp"
#include "lock_futex.hpp"
#include "proc.hpp"

namespace gort::detail {

// A party waiting on one channel: a goroutine or a thread blocked in send, recv or
// select.  It lives in the frame of the blocking call (no allocation), and is linked
// into the channel's recvq or sendq under hchan.lock.  A select parks one Sudog per
// case, all sharing one Waiter.
//
// Ownership: while queued, the Sudog belongs to the channel (hchan.lock).  A waker
// that dequeues it (and, for a select, wins waiter->selected) owns it until it calls
// waiter->ready(); after that the Sudog may be gone at once (its frame returns), so a
// waker reads nothing from it after ready().
//
// Pins: a Sudog keeps its channel's memory alive from enqueue until the party is done
// with the channel (waitq::pins, hchan::orphaned): a waker that dequeues it unpins it
// for the party, which touches nothing of the channel after its wake-up; a Sudog that
// its owner unlinks itself (a select's other cases, a cancelled wait) stays pinned
// until then, even if a waker that lost the select unlinked it first.
struct Sudog {
  Waiter* waiter = nullptr;  // immutable while queued
  void* elem = nullptr;      // immutable while queued.  send: the value to move from;
                             // recv: raw storage the waker constructs the value in
  Sudog* next = nullptr;     // hchan.lock (waitq links; next also links close's wake list)
  Sudog* prev = nullptr;     // hchan.lock
  hchan* c = nullptr;        // immutable: the channel it waits on
  void (*destroy)(void* p) noexcept = nullptr;  // recv: c->destroy, for teardown after
                                                // the wake-up, when c may be gone
  bool is_send = false;      // immutable: in c->sendq (else c->recvq)
  bool is_select = false;    // immutable: a waker must win waiter->selected first
  bool success = false;      // written by the owning waker before ready(): true if a
                             // value passed, false if woken by close
  bool unpinned = false;     // hchan.lock: no longer counted in its queue's pins
  bool reap = false;         // written by the owning waker before ready(): the waker
                             // emptied an orphaned channel, which the woken party frees
#if defined(GORT_DEBUG_CHECKS)
  bool queued = false;       // hchan.lock: linked into a queue (checked at frame end)
#endif

#if defined(GORT_DEBUG_CHECKS)
  // The frame it lives in is ending: it must not be left in its channel's queue.  (A
  // select's Sudogs live in raw slots and are never destroyed; the live count of
  // queued Sudogs catches those at teardown.)  Checked builds only: in release a
  // destructor would make the type non-trivial for nothing.
  ~Sudog();
#endif
};
static_assert(sizeof(Sudog) <= kSudogBytes && alignof(Sudog) <= alignof(SudogSlot),
              "Sudog must fit the SudogSlot a select reserves for it (chan_core.hpp)");

// A FIFO of Sudogs (Go's waitq).  All of it under hchan.lock; `first` is atomic only
// so that the lock-free fast paths may ask "is anyone waiting?" (relaxed: a stale
// answer is a legal linearisation, see chan.cpp).
struct waitq {
  std::atomic<Sudog*> first{nullptr};
  Sudog* last = nullptr;
  // Sudogs enqueued here and not yet unpinned (see Sudog).  Changed under the lock;
  // atomic (never a read-modify-write) only for chan_release's lock-free look.
  std::atomic<std::uint32_t> pins{0};

  bool empty() const noexcept { return first.load(std::memory_order_relaxed) == nullptr; }

  void enqueue(Sudog* sg) noexcept {
    live_add(LiveKind::kSudogs, 1);
    pins.store(pins.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    mark_queued(sg, true);
    sg->next = nullptr;
    Sudog* x = last;
    sg->prev = x;
    if (x == nullptr)
      first.store(sg, std::memory_order_relaxed);
    else
      x->next = sg;
    last = sg;
  }

  // Pops the first Sudog that can be woken: a select's Sudog whose Waiter another
  // waker already won is dropped (its select removes the rest of its Sudogs itself
  // once it holds the locks again).  The caller owns the result.
  Sudog* dequeue() noexcept {
    for (;;) {
      Sudog* sg = first.load(std::memory_order_relaxed);
      if (sg == nullptr) return nullptr;
      Sudog* y = sg->next;
      if (y == nullptr) {
        first.store(nullptr, std::memory_order_relaxed);
        last = nullptr;
      } else {
        y->prev = nullptr;
        first.store(y, std::memory_order_relaxed);
        sg->next = nullptr;  // marks it removed (see remove)
      }
      live_add(LiveKind::kSudogs, -1);
      mark_queued(sg, false);
      if (sg->is_select) {
        std::uint32_t expected = 0;
        // Lost: its select unlinks and unpins the rest of its Sudogs itself.
        if (!sg->waiter->selected.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) continue;
      }
      unpin(sg);  // the woken party does not touch the channel again
      return sg;
    }
  }

  // Whether sg is still queued here (a dequeued or removed Sudog has no prev and is
  // not first).
  bool contains(const Sudog* sg) const noexcept {
    return first.load(std::memory_order_relaxed) == sg || sg->prev != nullptr;
  }

  // By the Sudog's owner: unlinks sg if it is still queued here (Go's dequeueSudoG),
  // and unpins it unless its waker did.
  void remove(Sudog* sg) noexcept {
    if (!sg->unpinned) unpin(sg);
    unlink(sg);
  }

 private:
  void unpin(Sudog* sg) noexcept {
    sg->unpinned = true;
    pins.store(pins.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }

  static void mark_queued([[maybe_unused]] Sudog* sg, [[maybe_unused]] bool queued) noexcept {
#if defined(GORT_DEBUG_CHECKS)
    sg->queued = queued;
#endif
  }

  void unlink(Sudog* sg) noexcept {
    Sudog* x = sg->prev;
    Sudog* y = sg->next;
    if (x != nullptr) {
      if (y != nullptr) {
        x->next = y;
        y->prev = x;
        sg->next = nullptr;
        sg->prev = nullptr;
        live_add(LiveKind::kSudogs, -1);
        mark_queued(sg, false);
        return;
      }
      x->next = nullptr;  // end of queue
      last = x;
      sg->prev = nullptr;
      live_add(LiveKind::kSudogs, -1);
      mark_queued(sg, false);
      return;
    }
    if (y != nullptr) {  // start of queue
      y->prev = nullptr;
      first.store(y, std::memory_order_relaxed);
      sg->next = nullptr;
      live_add(LiveKind::kSudogs, -1);
      mark_queued(sg, false);
      return;
    }
    // x == y == nullptr: either the only element, or already removed.
    if (first.load(std::memory_order_relaxed) == sg) {
      first.store(nullptr, std::memory_order_relaxed);
      last = nullptr;
      live_add(LiveKind::kSudogs, -1);
      mark_queued(sg, false);
    }
  }
};

// A channel (Go's hchan).  Allocated in one block with its ring buffer, which follows
// the header; freed with the last handle (refs).
struct hchan {
  [[no_unique_address]] LiveCounted<LiveKind::kChannels> live;
  Lock lock;                              // guards the fields GORT_GUARDED_BY it, and more:
  std::atomic<std::uint32_t> closed{0};   // lock to write (0 -> 1, release); read lock-free
  std::atomic<std::size_t> qcount{0};     // lock to write; values in buf; read lock-free
  const std::size_t dataqsiz;             // immutable: capacity of buf (0: unbuffered)
  std::size_t sendx GORT_GUARDED_BY(lock) = 0;  // next slot to fill
  std::size_t recvx GORT_GUARDED_BY(lock) = 0;  // next slot to drain
  // Changed under lock; not GORT_GUARDED_BY it because full() and empty() read
  // waitq::empty() lock-free (an atomic load).
  waitq recvq;                            // lock: blocked receivers
  waitq sendq;                            // lock: blocked senders
  unsigned char* const buf;               // immutable pointer; slots under lock
  const std::size_t elemsize;             // immutable (0: nothing to store or copy)
  void (*const move)(void* dst, void* src) noexcept;  // immutable; null: memcpy
  void (*const destroy)(void* p) noexcept;            // immutable; null: trivial
  const std::size_t alloc_align;          // immutable: alignment of the allocation
  std::atomic<std::size_t> refs{1};       // handles (Chan, SendChan, RecvChan, owning cases)
  // Called once the last reference is gone, before the channel is freed: a timer's
  // channel disarms and frees its timer here (sleep.cpp).  Set before the channel is
  // shared, never changed.
  void (*on_release)(void* arg) = nullptr;
  void* on_release_arg = nullptr;
  // A timer's channel (sleep.cpp).  It buffers the one value a fire delivers, but reports
  // size() == capacity() == 0, as Go 1.23's synchronous timer channels do: a user sees a
  // channel that hands over a value only when one is due.  Set before the channel is
  // shared, never changed.
  bool is_timer = false;
  // Set with on_release, before the channel is shared, by an owner that keeps the
  // channel's memory past its last handle (a context's done channel, context.cpp).
  // chan_release then only calls on_release (which may free the channel) and frees
  // nothing itself; the owner frees it with chan_free.  The owner may hold a reference
  // of its own and drop it with chan_release_kept, which does not call on_release.
  bool kept = false;
  // The last reference went while Sudogs still pinned the channel (their parties
  // called through a handle that died meanwhile: a goroutine that captured it by
  // reference, parked at teardown).  Whoever unpins the last one frees it
  // (claim_orphan); until then nobody can reach it but those parties.
  bool orphaned GORT_GUARDED_BY(lock) = false;

  hchan(std::size_t cap, unsigned char* b, const ChanElemType* t, std::size_t align)
      : dataqsiz(cap), buf(b), elemsize(t->size), move(t->move), destroy(t->destroy), alloc_align(align) {}

  // Slot i of the buffer (Go's chanbuf).
  void* chanbuf(std::size_t i) const noexcept { return buf + i * elemsize; }

  // Move-constructs *dst from *src (src stays alive: its owner destroys it).  The
  // usual small sizes are copied inline rather than through a call to memcpy.
  void elem_move(void* dst, void* src) const noexcept {
    if (move != nullptr) {
      move(dst, src);
      return;
    }
    switch (elemsize) {
      case 0:
        return;
      case 4:
        std::memcpy(dst, src, 4);
        return;
      case 8:
        std::memcpy(dst, src, 8);
        return;
      case 16:
        std::memcpy(dst, src, 16);
        return;
      default:
        std::memcpy(dst, src, elemsize);
    }
  }
  // Move-constructs *dst from *src, then destroys *src (a buffer slot emptied).
  void elem_relocate(void* dst, void* src) const noexcept {
    elem_move(dst, src);
    if (destroy != nullptr) destroy(src);
  }
  void elem_destroy(void* p) const noexcept {
    if (destroy != nullptr) destroy(p);
  }

  // Would a send / a receive block now?  Lock-free reads (Go's full and empty).
  bool full() const noexcept {
    if (dataqsiz == 0) return recvq.empty();
    return qcount.load(std::memory_order_acquire) == dataqsiz;
  }
  bool empty() const noexcept {
    if (dataqsiz == 0) return sendq.empty();
    return qcount.load(std::memory_order_acquire) == 0;
  }
  // Hints for select, read without the lock: could a send / a receive proceed now?
  bool may_send() const noexcept { return closed.load(std::memory_order_relaxed) != 0 || !full(); }
  bool may_recv() const noexcept { return !empty() || closed.load(std::memory_order_relaxed) != 0; }

  // Exact under the lock; without it, a hint (chan_release).
  bool pinned() const noexcept {
    return recvq.pins.load(std::memory_order_relaxed) + sendq.pins.load(std::memory_order_relaxed) != 0;
  }
  // True once for an orphaned channel that nothing pins any more: the caller then
  // calls chan_release_orphan after unlocking.
  bool claim_orphan() noexcept GORT_REQUIRES(lock) {
    if (!orphaned || pinned()) return false;
    orphaned = false;
    return true;
  }
};

// What the last reference's release does (on_release, then the free unless kept), for
// an orphaned channel whose last pin just went (claim_orphan).
void chan_release_orphan(hchan* c) noexcept;

// Drops a reference to a kept channel (hchan::kept) without calling on_release; true
// if it was the last: the caller then does what on_release would have done.
bool chan_release_kept(hchan* c) noexcept;

// Frees a channel with no reference left: chan_release's end, which the owner of a
// kept channel calls itself.
void chan_free(hchan* c) noexcept;

// The locked cores of send and receive, shared by chansend/chanrecv (one lock) and
// selectgo's poll (one lock, or every channel's): what Go's chansend, chanrecv and
// selectgo each do once they hold the lock.  A core decides and does everything that
// needs c->lock, and never releases it: the caller releases whatever it holds, then
// finishes the step (send_finish / recv_finish: the hand-off copy and the wake-up,
// which must come after the unlock).  Inline: they are the hot path of every channel
// operation and of select, which calls them from another translation unit.
// Rejected: a core that takes an unlock functor and releases the lock itself (as
// select's poll_case does): it releases only on some paths, which no thread-safety
// annotation can state, so chansend and chanrecv would lose clang's lock checking.

// What a core found.
enum class ChanStep : std::uint8_t {
  kNotReady,  // nothing happened: the operation would block
  kBuffer,    // the value went into / came out of the buffer: done
  kHandoff,   // a parked partner was dequeued (*sg): finish after unlocking
  kClosed,    // the channel is closed (and, for a receive, drained)
};

// Moves *ep into the buffer (qcount < dataqsiz).
inline void buf_send(hchan* c, void* ep) noexcept GORT_REQUIRES(c->lock) {
  c->elem_move(c->chanbuf(c->sendx), ep);
  if (++c->sendx == c->dataqsiz) c->sendx = 0;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Moves the oldest buffered value into raw storage ep (qcount > 0).
inline void buf_recv(hchan* c, void* ep) noexcept GORT_REQUIRES(c->lock) {
  c->elem_relocate(ep, c->chanbuf(c->recvx));
  if (++c->recvx == c->dataqsiz) c->recvx = 0;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

// A send of *ep: to a parked receiver (first in FIFO order), else into the buffer.
// kClosed: the caller panics "send on closed channel" once unlocked.
[[gnu::always_inline]] inline ChanStep send_locked(hchan* c, void* ep, Sudog** sg) noexcept GORT_REQUIRES(c->lock) {
  if (c->closed.load(std::memory_order_relaxed) != 0) return ChanStep::kClosed;
  if ((*sg = c->recvq.dequeue()) != nullptr) {
    if (c->orphaned) [[unlikely]]
      (*sg)->reap = c->claim_orphan();
    return ChanStep::kHandoff;
  }
  if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) {
    buf_send(c, ep);
    return ChanStep::kBuffer;
  }
  return ChanStep::kNotReady;
}

// A receive into raw storage ep: from a parked sender (for a buffered channel, whose
// ring is then full, the ring's head, and the sender's value takes the freed slot:
// FIFO preserved), else from the buffer.  kClosed: closed and drained, ep untouched
// (a closed channel has no parked sender, so the order of the checks is free).
[[gnu::always_inline]] inline ChanStep recv_locked(hchan* c, void* ep, Sudog** sg) noexcept GORT_REQUIRES(c->lock) {
  if ((*sg = c->sendq.dequeue()) != nullptr) {
    if (c->orphaned) [[unlikely]]
      (*sg)->reap = c->claim_orphan();
    if (c->dataqsiz != 0) {  // unbuffered: recv_finish copies after unlocking
      void* slot = c->chanbuf(c->recvx);
      c->elem_relocate(ep, slot);
      c->elem_move(slot, (*sg)->elem);
      if (++c->recvx == c->dataqsiz) c->recvx = 0;
      c->sendx = c->recvx;
    }
    return ChanStep::kHandoff;
  }
  if (c->qcount.load(std::memory_order_relaxed) > 0) {
    buf_recv(c, ep);
    return ChanStep::kBuffer;
  }
  if (c->closed.load(std::memory_order_relaxed) != 0) return ChanStep::kClosed;
  return ChanStep::kNotReady;
}

// Wakes a party dequeued from c's queues (success: a value passed, else c closed).
// sg may be gone once this returns.
inline void wake(Sudog* sg, bool success) noexcept {
  sg->success = success;
  Waiter* w = sg->waiter;
  w->param = sg;
  w->ready();
}

// After the lock(s) are released, a send whose core returned kHandoff: moves *ep
// into the receiver's storage and wakes it.
inline void send_finish(hchan* c, Sudog* sg, void* ep) noexcept {
  c->elem_move(sg->elem, ep);
  wake(sg, true);
}

// After the lock(s) are released, a receive whose core returned kHandoff: the
// unbuffered copy, and the sender's wake-up.
inline void recv_finish(hchan* c, Sudog* sg, void* ep) noexcept {
  if (c->dataqsiz == 0) c->elem_move(ep, sg->elem);
  wake(sg, true);
}

// Frees c at the end of a blocking call, however the call ends, when the waker that
// woke it emptied c as an orphan (Sudog::reap).  Declared after the Sudog.
class ReapAtExit {
 public:
  ReapAtExit(hchan* c, const Sudog& sg) noexcept : c_(c), sg_(sg) {}
  ~ReapAtExit() {
    if (sg_.reap) chan_release_orphan(c_);
  }
  ReapAtExit(const ReapAtExit&) = delete;
  ReapAtExit& operator=(const ReapAtExit&) = delete;

 private:
  hchan* c_;
  const Sudog& sg_;
};

// Parks the caller with no way to be woken but teardown (nil channels, empty select).
// Returns only when teardown cancelled the park of an unwinding goroutine.
void park_forever(WaitReason reason);

}  // namespace gort::detail
