// proc.hpp -- the scheduler's interface to the rest of the runtime.
// Design and invariants: proc.cpp.
#pragma once

#include <climits>
#include <cstdint>

#include "check.hpp"
#include "runtime2.hpp"

namespace gort::detail {

// Every change of a G's status goes through here (Go's casgstatus): from `from` to
// `to`, the store made with `order`.  Under GORT_DEBUG_CHECKS a status other than
// `from` is a fatal error naming the goroutine, the status found, the one expected and
// the new one.  A load and a store, not Go's compare-and-swap: whoever makes a
// transition owns the G at that moment (the legal transitions and their owners are
// listed next to GStatus), and a read-modify-write would add synchronisation that the
// release build does not have, hiding from TSan the races the checks run beside.
[[noreturn]] void casgstatus_failed(const G* gp, GStatus found, GStatus from, GStatus to);
inline void casgstatus(G* gp, GStatus from, GStatus to, std::memory_order order = std::memory_order_relaxed) {
  if constexpr (kDebugChecks) {
    const GStatus found = gp->status.load(std::memory_order_relaxed);
    if (found != from) [[unlikely]]
      casgstatus_failed(gp, found, from, to);
  }
  gp->status.store(to, order);
}
const char* gstatus_string(GStatus s);

// Parks the running goroutine (Go's gopark).  Once it is off its stack, the next
// context on this thread calls unlockf(gp, arg): that is where the caller's lock is
// released, so a waker, which must take that lock to find gp, can only goready it
// after it is fully parked.  unlockf returning false cancels the park.
// `cancel` removes gp from its wait queue at teardown (see run.cpp, Abandonment).
// Returns true when woken by goready; false when teardown cancelled the park of a
// goroutine that is already unwinding (otherwise it throws AbandonUnwind instead).
bool gopark(UnlockFn unlockf, void* arg, WaitReason reason, CancelFn cancel = nullptr,
            void* cancel_arg = nullptr);

// Makes a parked goroutine runnable (Go's goready); callable from any thread.
void goready(G* gp) GORT_EXCLUDES(sched.lock);
// goready's first half, for callers that ready a batch: marks gp runnable; false if it
// must not be queued (teardown finds it).  Then injectglist queues the batch.
bool ready_mark(G* gp);
struct GList;
void injectglist(GList& list) GORT_EXCLUDES(sched.lock);

// Wakes the M sleeping for timers (sched.timer_sleeper), on its note or in the poller.
void wake_timer_sleeper_locked(M* sleeper) GORT_REQUIRES(sched.lock);

// A timer sleeper's deadline when only I/O (or a wake-up) can end its sleep.
constexpr std::int64_t kNoWakeDeadline = INT64_MAX;

// Go's Gosched: lets the other goroutines of this P run first.
void gosched();

// Randomized schedules (design in proc.cpp).  random_yield_point() is a scheduling
// point only under a schedule seed: the running goroutine then yields with
// probability 1/kRandomYieldOdds, drawn from its P's seeded stream.  Call it only
// where a goroutine may already park (it may throw AbandonUnwind, as gosched does) and
// no runtime lock is held; it does nothing on a thread or inside blocking().
void random_yield();
inline void random_yield_point() {
  if (sched.randomize.load(std::memory_order_relaxed)) [[unlikely]]
    random_yield();
}
// Under a schedule seed: reserves n numbers of the calling goroutine's P's stream
// (rand.hpp), storing the state before them in *state; false on a thread without a P.
bool reserve_sched_rand(std::size_t n, std::uint64_t* state);

// blocking(): the M gives up its P for the call and takes one back afterwards.
void entersyscall();
void exitsyscall();

// True if the caller is a goroutine that may park (not inside blocking()).
bool can_gopark();

// Used by sysmon.cpp.  These, goready and injectglist take sched.lock themselves, so
// they EXCLUDE it: the analysis flags a caller that holds it (a Lock is not recursive).
void handoffp(P* p) GORT_EXCLUDES(sched.lock);
void wakep() GORT_EXCLUDES(sched.lock);
std::int64_t count_goroutines();

// Runs at teardown if an M must report a fatal error while holding sched.lock.
void dump_all_goroutines(bool take_lock);

// Run queues (runq.cpp; their protocols are in runq.hpp).  The global queue's functions
// are declared here rather than in runq.hpp because their lock annotations name
// sched.lock, and runq.hpp comes before Sched (P holds a RunQueue).
//
// Puts gp, made runnable by p's owner, on p's queue (in runnext if `next`); a full
// ring moves its older half to the global queue, taking sched.lock.  Called under
// sched.lock only by globrunqget, into a ring with room for its whole batch.
void runqput(P* p, G* gp, bool next);
void globrunqput(G* gp) GORT_REQUIRES(sched.lock);
// A batch for the global queue, sorted into its two lanes (runq.hpp) as it is built,
// before the lock is taken.
struct GlobalBatch {
  GList fresh;  // never ran
  GList woken;  // ran before: a goroutine holds a stack from its first run to its exit
  void push(G* gp) { (gp->stack_lo != nullptr ? woken : fresh).push(gp); }
};
// Appends both lanes of the batch (emptying it).
void globrunqputbatch(GlobalBatch& batch) GORT_REQUIRES(sched.lock);
// Takes a fair share of the global queue (at most `max`, if > 0, and at most half a
// ring) and returns one to run; the rest go to p's queue, which must have room for
// them, or runqput would take sched.lock again: callers pass max 1, or call it when
// their own queue came up empty.
G* globrunqget(P* p, std::int32_t max) GORT_REQUIRES(sched.lock);
// Teardown, the world stopped: forgets every queued G (the driver finds them in allgs).
void globrunqclear() GORT_REQUIRES(sched.lock);

// Between proc.cpp and run.cpp (run(), teardown): nothing else calls these.
//
// Go's procresize at startup: makes the nprocs Ps of sched.allp, each with its stream
// of the schedule seed; m0 takes allp[0], the others go on the idle list.
void procresize(M* m0, int nprocs, std::uint64_t seed);
// The scheduler loop on m's g0; returns once the runtime is exiting.
void schedule(M* m);
// Runs gp on m from m's g0 until m is back on its g0 (Go's execute, which does not
// return, since Go's g0 loops by calling schedule again).
void execute(M* m, G* gp);
// m, holding no P, takes an idle one (teardown's driver, once the world is stopped).
void acquirep_idle(M* m) GORT_EXCLUDES(sched.lock);
// main's goroutine has ended on m: stop the world and unwind every other goroutine
// (run.cpp, "Abandonment").  Returns with sched.exiting set.
void begin_teardown(M* m);
// Where an abandoned goroutine stops running user code (run.cpp): throws AbandonUnwind
// unless gp is already unwinding.
void abandon_point(G* gp);

// The stack a G holds (from its first run until it exits).
inline Stack g_stack(const G* gp) {
  return Stack{gp->stack_lo, gp->stack_lo + sched.stack_size, gp->stack_guarded};
}

// A party that can wait: the running goroutine, or else the calling thread (a thread
// that is not a goroutine, or a goroutine inside blocking()).  Lives in the waiting
// party's frame; the waker calls ready() after dequeuing it under the primitive's lock.
// One Waiter may sit in several queues at once (select); `selected` lets exactly one
// waker win it (Go's selectDone), and `param` carries what the winner wants the
// woken party to know (e.g. which of its queue entries fired).
struct Waiter {
  G* g = nullptr;                          // null: a thread sleeping on `key`
  std::atomic<std::uint32_t> key{0};       // thread waiters: 1 once readied
  std::atomic<std::uint32_t> selected{0};  // select: 0 until a waker claims this waiter
  void* param = nullptr;                   // written by the waker before ready()

  // Commits to sleep: unlockf(g, arg) runs once the party can no longer miss a
  // ready() (for a goroutine: once it is off its stack; for a thread: at once), and
  // must release whatever lock makes this Waiter findable.  Then sleeps until ready().
  // Returns false only for a goroutine whose park teardown cancelled (see gopark).
  bool park(UnlockFn unlockf, void* arg, WaitReason reason, CancelFn cancel, void* cancel_arg);
  // The common case: the waiter is findable under one Lock.
  bool park(Lock* lock, WaitReason reason, CancelFn cancel, void* cancel_arg) GORT_RELEASE(lock);
  void ready();
};

}  // namespace gort::detail
