// runtime2.hpp -- the runtime's data: G, M, P, the scheduler, wait reasons.
//
// Go's model, and Go's names (runtime2.go):
//   G  a goroutine: its saved context, its stack (from its first run on), its frame
//      (the decay-copied function and arguments), its wait state.
//   M  an OS thread.  It runs goroutines only while it holds a P.  Its own thread
//      stack is "g0": the scheduler loop runs there when there is nothing to switch to
//      directly, and an M with nothing to do sleeps there on its note.
//   P  a processor: the right to run goroutines, max_procs of them.  It owns a local
//      run queue, a stack cache and a free list of Gs, so the hot paths of spawn,
//      switch and exit touch no lock.
//   Sched  what is global: the global run queue, idle Ps and Ms, spinning count,
//      every G record (GChunk list, for dumps and teardown), the counters of stats().
//
// Which lock or protocol guards each field is written next to it: GORT_GUARDED_BY for a
// field that every access reads or writes under the lock (clang's -Wthread-safety
// checks it); a comment for atomics written under a lock but read without it, and for
// protocols no annotation can name.  "owner" means the M that currently holds the P
// (for P fields) or the thread running the M (for M fields); such fields need no lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <gort/detail/spawn.hpp>

#include "gobuf.hpp"
#include "lock_futex.hpp"
#include "runq.hpp"
#include "stack.hpp"
#include "time.hpp"
#include "trace.hpp"

namespace gort::detail {

struct G;
struct GChunk;
struct M;
struct P;

// Why a goroutine is parked: every gopark names one, dump_goroutines prints it.
// Strings are Go's where Go has the state.
enum class WaitReason : std::uint8_t {
  kZero,
  kChanReceiveNilChan,
  kChanSendNilChan,
  kSelect,
  kSelectNoCases,
  kChanReceive,
  kChanSend,
  kSleep,
  kSemacquire,
  kSyncCondWait,
  kSyncMutexLock,
  kSyncRWMutexRLock,
  kSyncRWMutexLock,
  kSyncWaitGroupWait,
  kSyncOnceDo,
  kSemaphoreAcquire,
  kIOWait,
  kExitSyscall,   // back from blocking(), waiting for a P
  kCount
};
const char* wait_reason_string(WaitReason r);

// G status.  Transitions (who makes them):
//   kIdle     -> kRunnable   newproc (a fresh or recycled G gets a frame)
//   kRunnable -> kRunning    execute, on the M that will run it
//   kRunning  -> kRunnable   yield / exitsyscall without a P (the G goes to a run queue)
//   kRunning  -> kWaiting    gopark, committed after the G is off its stack
//   kWaiting  -> kRunnable   goready (any thread), or teardown cancelling the wait
//   kRunning  -> kSyscall    entersyscall (blocking()); its M drops the P
//   kSyscall  -> kRunning    exitsyscall, once the M holds a P again
//   kRunning  -> kDead       goexit0 (function returned, goexit, or unwound)
//   kIdle     -> kDead       newproc_abort (the spawn failed; straight back to gfput)
//   kDead     -> kIdle       gfput, when the G is back on a free list
// Every change goes through casgstatus (proc.hpp), checked under GORT_DEBUG_CHECKS.
// The status is atomic because stats, dumps and teardown read it from other threads.
enum class GStatus : std::uint8_t { kIdle, kRunnable, kRunning, kSyscall, kWaiting, kDead };

// P status.  kIdle: on the idle list, no M.  kRunning: owned by an M.  kSyscall: its
// M is inside blocking(); the M may take it back (CAS kSyscall->kRunning) unless
// sysmon retakes it first (CAS kSyscall->kIdle, then handoffp).
enum class PStatus : std::uint8_t { kIdle, kRunning, kSyscall };

// Runs on the waker's side of gopark once the parking G is off its stack: returns
// false to cancel the park (the G is made runnable again at once).
using UnlockFn = bool (*)(G* gp, void* arg);
// Removes a parked G from whatever queue it waits in; called at teardown, before the
// G is resumed to be unwound (see "Abandonment" in run.cpp).  Thread-safe.  Returns
// true if it removed the G, so that no waker can reach it any more; false if a waker
// got there first (it dequeued the G and is about to ready it): the teardown driver
// then waits for that wake-up to land before resuming the G.
using CancelFn = bool (*)(G* gp, void* arg);

// A FIFO of goroutines linked through G.schedlink (a batch readied at once, a lane of
// the global run queue).  The functions come after G.
struct GList {
  G* head = nullptr;
  G* tail = nullptr;
  std::int32_t n = 0;
  void push(G* gp);
  G* pop();  // null when empty
  void append(GList& other);  // moves other's goroutines to the tail, leaving it empty
};

// What is global.  Defined before G, M and P (which it only points to) so that their
// fields guarded by sched.lock can say so: GORT_GUARDED_BY(sched.lock).
struct Sched {
  // Guards the fields GORT_GUARDED_BY it (the compiler checks them, -Wthread-safety)
  // and is written by every writer of the atomics marked "lock to write", which are
  // read without it.  A Lock, not a std::mutex: the runtime's locks are one type, with
  // one set of annotations.
  Lock lock;
  // The global run queue, two FIFO lanes (runq.hpp): goroutines that have never run,
  // and the wake lane of goroutines made runnable again.
  GList runq GORT_GUARDED_BY(lock);
  GList wakeq GORT_GUARDED_BY(lock);
  bool runq_fresh_turn GORT_GUARDED_BY(lock) = false;  // globrunqget alternates the lanes
  std::atomic<std::int32_t> runq_size{0};     // both lanes; lock to write; read without
  P* pidle GORT_GUARDED_BY(lock) = nullptr;   // idle Ps
  std::atomic<std::int32_t> npidle{0};        // lock to write; read without
  M* midle GORT_GUARDED_BY(lock) = nullptr;   // idle Ms
  std::int32_t nmidle GORT_GUARDED_BY(lock) = 0;
  std::int64_t mnext GORT_GUARDED_BY(lock) = 0;  // the next M's id (m0's is 0)
  M* timer_sleeper GORT_GUARDED_BY(lock) = nullptr;  // the idle M sleeping until the next timer
  std::atomic<std::int64_t> timer_sleep_until{0};  // lock to write: its deadline, 0 if none
  std::atomic<std::int32_t> nmspinning{0};
  std::atomic<std::int32_t> nmsyscall{0};     // Ms inside blocking()
  std::vector<M*> allm GORT_GUARDED_BY(lock);
  std::vector<P*> allp;                       // fixed while running
  std::int32_t gomaxprocs = 0;                // fixed while running
  std::size_t stack_size = 0;                 // fixed while running
  // Randomized schedules (GORT_SCHEDULE_SEED, Options::schedule_seed; proc.cpp): on
  // when schedule_seed != 0; Go's randomizeScheduler, which it turns on under -race.
  // Fixed while running (set before any M but m0 exists, cleared after every M is
  // joined), so relaxed loads suffice; atomic only because threads outside the runtime
  // read it (a channel operation) while run() starts or ends.
  std::atomic<bool> randomize{false};
  std::atomic<std::uint64_t> schedule_seed{0};
  G* gfree GORT_GUARDED_BY(lock) = nullptr;   // global free Gs
  std::atomic<std::int32_t> gfree_count{0};   // lock to write; peeked at without it
  GChunk* gchunks GORT_GUARDED_BY(lock) = nullptr;  // every G of this run lives in one of these
  GChunk* foreign_gchunk GORT_GUARDED_BY(lock) = nullptr;  // carved by threads without a P
  std::atomic<std::uint64_t> goidgen{0};
  std::atomic<std::uint64_t> foreign_created{0};  // goroutines spawned off any P
  std::atomic<std::uint64_t> exited_off_p{0};     // goroutines that ended with no P (teardown)
  std::atomic<std::uint64_t> handoffs{0};         // Ps retaken from blocking() by sysmon
  // Lifecycle.
  std::atomic<bool> running{false};     // between run()'s start and its return
  std::atomic<bool> accepting{false};   // go() may create goroutines that will run
  std::atomic<bool> abandoning{false};  // main returned: stop the world, unwind the rest
  std::atomic<bool> exiting{false};     // teardown done: every M leaves its loop
  std::atomic<std::int32_t> foreign_spawning{0};  // go() calls in flight off any P
  std::atomic<std::int32_t> nthread_waiters{0};   // threads asleep in a gort primitive
  bool main_goexited GORT_GUARDED_BY(lock) = false;  // main called goexit
  int main_result = 0;
  M* teardown_driver = nullptr;         // the M that ran main's exit
  Note teardown_note;                   // the driver waits here for Ms to stop
  int baseline_threads = 0;             // OS threads not the runtime's, seen at the first run (sanitizers)
  // sysmon
  std::thread sysmon;
  Note sysmon_note;
  std::atomic<bool> sysmon_wait{false};  // sysmon sleeps until a blocking() call
  std::atomic<bool> sysmon_exit{false};
  std::int64_t schedtrace_ns = 0;        // GORT_SCHEDTRACE
  std::int64_t hogwarn_ns = 0;           // GORT_HOGWARN / Options::hog_warn; 0: off
  std::atomic<std::uint64_t> hogs{0};    // sysmon: goroutines warned about (stats)
  // freezetheworld (panic.cpp): a fatal report is being printed; every M parks for
  // good at its next scheduling point.  Set together with `abandoning`, whose checks
  // route every M to find_runnable, which parks it.
  std::atomic<bool> freezing{false};
  std::atomic<std::int32_t> nfrozen{0};  // Ms parked for good by freezing, holding a P
  std::timed_mutex sample_lock;          // one sampler of Ms' frames at a time (MSample)
  std::int64_t start_ns = 0;

  // The end of a run (free_runtime, every M and sysmon joined, every G, P and M
  // freed): puts every field that belongs to one run back to its initial value, so
  // that the next run starts from a fresh Sched.  That is every field above except
  //  - those run() sets before anything reads them: gomaxprocs, stack_size,
  //    schedtrace_ns, hogwarn_ns, start_ns;
  //  - those that outlive a run: lock; running (run()'s own flag), and accepting,
  //    foreign_spawning and nthread_waiters, which threads outside the runtime may
  //    touch at any moment, between runs too; baseline_threads (measured at the first
  //    run); sysmon (joined); hogs (counted over the process); freezing and nfrozen
  //    (set only when the process is ending); sample_lock.
  // One function beside the fields, in their order, rather than resets scattered over
  // the teardown: a new per-run field is added here.  Not a substate reconstructed
  // with placement new: that would rename every field (sched.run.npidle) in every file,
  // or, as a base class, rebuild a subobject the standard does not let `sched` refer to
  // afterwards; and atomics, Locks and Notes cannot be assigned as one value.
  void reset_run_state() GORT_REQUIRES(lock);
};

extern Sched sched;

inline void Sched::reset_run_state() {
  runq = {};
  wakeq = {};
  runq_fresh_turn = false;
  runq_size = 0;
  pidle = nullptr;
  npidle = 0;
  midle = nullptr;
  nmidle = 0;
  mnext = 0;
  timer_sleeper = nullptr;
  timer_sleep_until = 0;
  nmspinning = 0;
  nmsyscall = 0;
  allm.clear();
  allp.clear();
  randomize.store(false, std::memory_order_relaxed);
  schedule_seed.store(0, std::memory_order_relaxed);
  gfree = nullptr;
  gfree_count = 0;
  gchunks = nullptr;
  foreign_gchunk = nullptr;
  goidgen = 0;
  foreign_created = 0;
  exited_off_p = 0;
  handoffs = 0;
  abandoning = false;
  exiting = false;
  main_goexited = false;
  main_result = 0;
  teardown_driver = nullptr;
  teardown_note.clear();
  sysmon_note.clear();
  sysmon_wait = false;
  sysmon_exit = false;
}

struct G {
  Gobuf sched;                            // owner: the G itself, or whoever switches to it
  G* schedlink = nullptr;                 // global run queue / free lists (their locks)
  std::uint64_t goid = 0;                 // written at newproc, before the G is published
  char* stack_lo = nullptr;               // its stack (sched.stack_size bytes), null until it first runs
  FrameFn fn = nullptr;                   // the goroutine's function + arguments:
  void* frame = nullptr;                  //   in inline_frame, or on the heap
  std::atomic<std::int64_t> waitsince{0};  // nanotime_coarse() of the park, for dumps
  // Where `go` was called, and by whom (relaxed atomics: dumps read them while the
  // G may be recycled).
  std::atomic<const char*> created_file{nullptr};
  std::atomic<const char*> created_function{nullptr};
  std::atomic<std::uint64_t> parent_goid{0};
  CancelFn cancel = nullptr;              // set by gopark, for teardown
  void* cancel_arg = nullptr;
  void* param = nullptr;                  // passed by the waker (e.g. which select case won)
  std::atomic<std::uint32_t> created_line{0};
  std::uint16_t frame_align = 0;          // alignment of a heap frame
  std::atomic<GStatus> status{GStatus::kIdle};
  std::atomic<WaitReason> waitreason{WaitReason::kZero};
  bool stack_guarded = false;             // false: a canary protects it instead
  bool is_main = false;
  bool abandoned = false;                 // teardown: never run user code again
  bool unwinding = false;                 // teardown: the unwind exception was thrown
  bool park_cancelled = false;            // teardown cancelled the current park
  // Sized so that a G is 208 bytes (13 lines of 16): a lambda capturing a few
  // references plus a WaitGroup pointer fits; larger frames go to the heap.
  static constexpr std::size_t kInlineFrame = 48;
  alignas(16) unsigned char inline_frame[kInlineFrame];
};

inline void GList::push(G* gp) {
  gp->schedlink = nullptr;
  if (tail != nullptr)
    tail->schedlink = gp;
  else
    head = gp;
  tail = gp;
  ++n;
}

inline void GList::append(GList& other) {
  if (other.head == nullptr) return;
  if (tail != nullptr)
    tail->schedlink = other.head;
  else
    head = other.head;
  tail = other.tail;
  n += other.n;
  other = {};
}

inline G* GList::pop() {
  G* gp = head;
  if (gp != nullptr) {
    head = gp->schedlink;
    if (head == nullptr) tail = nullptr;
    gp->schedlink = nullptr;
    --n;
  }
  return gp;
}

// G records are carved from chunks, never freed one by one during a run (a dead G goes
// to a free list and is reused): no malloc per spawn, no lock per spawn, dense memory,
// and the chunk list doubles as Go's allgs for dumps and teardown.
struct GChunk {
  static constexpr std::uint32_t kGs = 256;  // ~64 KiB: one allocation per 256 new Gs
  GChunk* next GORT_GUARDED_BY(sched.lock) = nullptr;  // the list of all chunks
  std::atomic<std::uint32_t> used{0};        // Gs constructed so far (release: readers see them whole)
  alignas(64) unsigned char storage[kGs * sizeof(G)];
  G* at(std::uint32_t i) { return reinterpret_cast<G*>(storage) + i; }
};

// Calls f(G*) for every G of this run (Go's forEachG).
template <class F>
void for_each_g(GChunk* chunks, F&& f) GORT_REQUIRES(sched.lock);

struct PostSwitch {
  enum class Op : std::uint8_t {
    kNone,
    kPark,         // commit gp to kWaiting, then unlockf(gp, arg)
    kYield,        // gp back on the run queue
    kExit,         // gp is dead: release its stack, G to the free list
    kExitSyscall,  // gp came back from blocking() and found no P
  };
  Op op = Op::kNone;
  G* gp = nullptr;
  UnlockFn unlockf = nullptr;
  void* arg = nullptr;
};

// The frames an M's thread was running when sysmon or a dump asked for them
// (signal_linux.cpp).  States: kIdle -> kRequested (the sampler, before it signals
// the thread) -> kWriting (the signal handler, which then records) -> kDone ->
// kIdle (the sampler, after reading); a sampler that gives up takes kRequested back
// to kIdle, or waits for a handler already in kWriting to reach kDone.  The fields
// below `state` are written by the handler between kWriting and kDone (release) and
// read by the sampler after it sees kDone (acquire).  One sampler at a time
// (sample_lock, traceback.cpp).
struct MSample {
  enum : std::uint32_t { kIdle, kRequested, kWriting, kDone };
  static constexpr std::uint32_t kFrames = 48;
  std::atomic<std::uint32_t> state{kIdle};
  std::uint64_t goid = 0;            // the goroutine it ran; 0: none (on g0, or inside the runtime)
  std::int32_t p = -1;               // the id of the P it held; -1: none (inside blocking())
  std::uint32_t schedtick = 0;       // that P's schedtick
  const char* created_function = nullptr;  // where that goroutine was created
  const char* created_file = nullptr;
  std::uint32_t created_line = 0;
  std::uint64_t parent_goid = 0;
  std::uint32_t n = 0;               // frames recorded, innermost first (return addresses)
  std::uintptr_t pcs[kFrames];
};

struct M {
  Gobuf g0;                     // owner: this thread's scheduler context
  EhState* eh = nullptr;        // owner: this thread's C++ exception state block
  G* curg = nullptr;            // owner: the running goroutine
  P* p = nullptr;               // owner: attached P
  P* nextp GORT_GUARDED_BY(sched.lock) = nullptr;  // P handed over by startm before wakeup
  P* oldp = nullptr;            // owner: the P held before blocking()
  bool spinning = false;        // owner; counted in sched.nmspinning
  bool is_m0 = false;           // the thread that called run()
  bool sleeps_in_netpoll GORT_GUARDED_BY(sched.lock) = false;  // the timer sleeper waits in netpoll, not on park
  Note park;                    // stopm sleeps here
  M* schedlink GORT_GUARDED_BY(sched.lock) = nullptr;  // idle list
  std::int64_t id = 0;
  long tid = 0;                 // OS thread id, for dumps and tests
  PostSwitch post;              // owner: left by the context that switched away
  std::uint32_t fastrand = 0;   // owner: steal order
  // owner: > 0 while this M runs code that must not switch goroutines, though it may
  // be on a goroutine's stack and call the public API: timer functions, which run
  // under their heap's lock (a context's deadline calls go()).  random_yield does
  // nothing then.  Go's m.locks, which disables preemption the same way.
  std::int32_t locks = 0;
  std::thread thread;           // not for m0
  TraceBuffer* trace = nullptr; // owner: GORT_TRACE events of this M (trace.cpp)
  MSample sample;               // see MSample
};

struct P {
  std::int32_t id = 0;
  std::atomic<PStatus> status{PStatus::kIdle};
  // owner / sched.lock when idle; release stores, so that sysmon, which reads it to
  // signal the M (acquire), sees the M's tid.
  std::atomic<M*> m{nullptr};
  RunQueue runq;
  // Incremented at each execute by the owner (a relaxed load and store: one plain
  // store on the hot path); sysmon reads it to see a goroutine that runs for long.
  std::atomic<std::uint32_t> schedtick{0};
  std::uint32_t sysmon_schedtick = 0;          // sysmon only: schedtick when it last changed
  std::int64_t sysmon_schedwhen = 0;           // sysmon only: nanotime() of that change
  std::uint32_t runnext_streak = 0;            // owner: consecutive runs taken from runnext
  // owner: this P's stream of the schedule seed (wyrand state, rand.hpp); used only
  // when sched.randomize.  Per P, not per M: at one P the decisions then follow from
  // the seed alone, whichever thread holds the P.
  std::uint64_t sched_rand = 0;
  std::atomic<std::uint32_t> syscalltick{0};   // owner writes; sysmon reads
  std::atomic<std::int64_t> syscallwhen{0};    // owner writes; sysmon reads
  std::uint32_t sysmon_syscalltick = 0;        // sysmon only
  StackCache stackcache;                       // owner
  TimerHeap timers;                            // its own lock (time.cpp)
  G* gfree = nullptr;                          // owner: free Gs, LIFO
  std::int32_t gfree_count = 0;
  GChunk* gchunk = nullptr;                    // owner: chunk new Gs are carved from
  P* link GORT_GUARDED_BY(sched.lock) = nullptr;  // idle list
  // Counters: written by the owner only (relaxed), summed by stats().
  std::atomic<std::uint64_t> created{0}, exited{0}, switches{0}, steals{0}, parks{0}, syscalls{0};
};

template <class F>
void for_each_g(GChunk* chunks, F&& f) {
  for (GChunk* c = chunks; c != nullptr; c = c->next) {
    std::uint32_t n = c->used.load(std::memory_order_acquire);
    for (std::uint32_t i = 0; i < n; ++i) f(c->at(i));
  }
}

// The M of the calling thread (null on a thread that is not an M).  Out of line and
// opaque to the optimiser on purpose: a goroutine may resume on another thread after
// any switch, so no thread-local address may be cached across one (tls.cpp).
M* getm();
void setm(M* m);
inline G* getg() {
  M* m = getm();
  return m != nullptr ? m->curg : nullptr;
}

}  // namespace gort::detail
