// runq.hpp -- the run queues: each P's local queue, a bounded lock-free ring plus
// `runnext` (RunQueue, below), and the global queue behind them.
//
// The global queue (Go's sched.runq) is two FIFOs linked through G.schedlink, guarded
// by sched.lock, and sched.runq_size, their total, written under it and read without it
// so that an empty queue costs no lock.  The lanes: goroutines that have never run
// (sched.runq), and the wake lane (sched.wakeq) of goroutines made
// runnable again -- woken by a timer, I/O or a partner, back from blocking().  A P takes
// from the wake lane first, except that the goroutine it runs at once comes from each
// lane in turn when both hold some, so neither starves.  Why: when a million goroutines
// are spawned at once, most of them wait here for their first run; a goroutine woken
// while its P's ring is full spills here too, and in one FIFO it waited behind all of
// those first runs (a sleeper woke ~100 ms late, at 4 Ps or with the cores busy with
// other processes: the sleepers benchmark's p99).  Go keeps one FIFO; its sleepers' p99
// at 4 Ps is ~30 ms here.  Rejected: putting woken goroutines at the head of the one
// FIFO (later batches would overtake earlier ones, and first runs could starve).
// Goroutines enter it
// when made runnable off any P (by a thread, or an M without one), as many as there
// are idle Ps from a batch readied at once (injectglist), when a full ring spills its
// older half (runqput), and under a schedule seed; Ps take a fair share of it
// (globrunqget), one in kGlobalCheckTicks schedules and whenever their own queue is
// empty (proc.cpp).  Its functions are declared in proc.hpp, since their lock
// annotations need Sched, which comes after this header; both queues are in runq.cpp.
//
// As in Go (proc.go: runqput, runqget, runqgrab), the ring has one producer, the P's
// owner, and many consumers: the owner takes from the head and so do thieves, who
// take half at once.
//
//   head  advanced by consumers with a CAS (release): a thief that loses the CAS
//         retries, so a slot is handed out exactly once;
//   tail  stored only by the owner (release): slots below it are published;
//   slots written only by the owner, at tail, before tail is published; read by
//         consumers between head and tail, then validated by the head CAS.  They are
//         relaxed atomics so that a thief reading a slot the owner is overwriting
//         (after the thief's CAS would fail anyway) is not a data race.
//   runnext  the goroutine made ready most recently by this P; it runs next, ahead
//         of the ring, which keeps producer/consumer pairs on a warm cache.  Owner
//         swaps it; thieves may CAS it away (only as a last resort).
//
// Rejected: a mutex per P (Go moved away from it; every steal would contend with
// the owner's fast path); an unbounded queue (the ring overflows into the global
// queue in batches of half, which keeps both the ring and the lock cold).
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::detail {

struct G;

class RunQueue {
 public:
  static constexpr std::uint32_t kSize = 256;  // Go's choice: a power of two, large enough that overflow is rare

  // Owner only.  Puts gp in runnext (kicking the old runnext to the ring) or at the
  // tail.  Returns null, or, when the ring is full, the goroutine that did not fit:
  // the caller then moves it and half of the ring to the global queue
  // (take_half_for_overflow) or, if that finds room after all, puts it again.
  G* put(G* gp, bool next);
  // Owner only, ring full: takes the older half of the ring into batch[0..n) (with
  // the kicked goroutine appended by the caller).  Returns n, or 0 if consumers
  // moved head meanwhile (then put() can be retried).
  std::uint32_t take_half_for_overflow(G** batch);
  // Owner only: the next goroutine to run; *from_runnext tells where it came from.
  // skip_runnext: take from the ring even when runnext is set (fairness, see proc.cpp).
  G* get(bool* from_runnext, bool skip_runnext = false);
  // Any thread: moves about half of this queue into `to` (which the caller owns and
  // which must be empty), returning one goroutine to run now, or null.  When the ring
  // is empty, runnext is taken only with steal_runnext, and after a back-off when
  // owner_running (the owner is most likely about to run it: runq.cpp).
  G* steal_into(RunQueue& to, bool steal_runnext, bool owner_running = false);

  bool empty() const {
    // Go's runqempty: tail, head and runnext read in an order that cannot miss a G
    // that moves from runnext into the ring between the reads.
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      G* next = runnext_.load(std::memory_order_acquire);
      if (tail_.load(std::memory_order_acquire) == t) return h == t && next == nullptr;
    }
  }
  std::uint32_t size() const {  // approximate unless called by the owner
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_acquire);
    return t - h + (runnext_.load(std::memory_order_relaxed) != nullptr ? 1 : 0);
  }
  // With a single P there is no thief: nobody but the owner ever writes head or
  // runnext, so the owner may use plain stores instead of a locked CAS (which costs
  // more than the rest of a yield).  Set while no other thread uses the queue.
  void set_sole_consumer(bool sole) { sole_consumer_ = sole; }

  // Owner only, world stopped: empties the queue (teardown).
  void clear() {
    head_.store(0, std::memory_order_relaxed);
    tail_.store(0, std::memory_order_relaxed);
    runnext_.store(nullptr, std::memory_order_relaxed);
  }

 private:
  // Moves about half of the ring (or else runnext) into to's ring from batch_head on,
  // without publishing it there; returns how many.
  std::uint32_t grab(RunQueue& to, std::uint32_t batch_head, bool steal_runnext, bool owner_running);

  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::atomic<G*> runnext_{nullptr};
  bool sole_consumer_ = false;
  std::atomic<G*> slots_[kSize] = {};
};

}  // namespace gort::detail
