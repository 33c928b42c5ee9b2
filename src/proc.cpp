// proc.cpp -- the G-M-P scheduler: schedule, find_runnable, gopark/goready, newproc,
// wakep and spinning, blocking() hand-off.  run() and teardown: run.cpp; the run
// queues: runq.cpp.
//
// The model is Go's (proc.go); read its header comment for the why of G, M and P.
// What gort does differently, and why:
//
// * Direct switches.  When a goroutine parks, yields or exits and its P has another
//   runnable goroutine, the M switches to it directly, goroutine to goroutine: one
//   register switch instead of Go's two (in to g0 via mcall, out via gogo).  Whatever
//   must happen once the old goroutine is off its stack (commit it as waiting and run
//   the unlock function, requeue it, free its stack) is left in M.post and done by the
//   context that is switched to (post_switch).  Only when the P has nothing local does
//   the M go to its g0, the thread's own stack, to look further (find_runnable) and
//   possibly sleep.  Alternative rejected: running find_runnable on the goroutine's
//   stack; an idle M would then sleep on a stack that another M may need to resume.
//
// * No preemption.  Scheduling is cooperative (API.md), so the fairness Go gets from
//   sysmon's preemption comes from two counters instead: every kGlobalCheckTicks-th
//   schedule takes from the global queue first (Go's 61), and after kRunnextStreak
//   consecutive runnext hand-offs the ring's head runs instead, so a pair of goroutines
//   ping-ponging through runnext cannot starve the rest of the P's queue.
//
// * Lazy stacks.  A goroutine that has not started holds no stack: spawning a
//   million costs a million small G records, not a million stacks.  The stack is taken
//   when the goroutine first runs, from its P's cache, most recently freed first, so
//   spawn+exit in a loop reuses one warm stack and faults no page.
//
// Spinning (Go's protocol, kept exactly because its races are subtle): an M looking
// for work is "spinning" (sched.nmspinning).  A goroutine made ready wakes an idle M
// (wakep) only if no M is spinning; a spinning M that finds work stops spinning and,
// if it was the last spinner, wakes another, so that ready work is never left behind
// while an M sleeps.  At most half the busy Ps' worth of Ms spin at once.  An M that
// finds nothing drops its P, rechecks every queue once more, and sleeps on its note
// (futex) until startm hands it a P: an idle runtime burns no CPU.
//
// Timers and the network poller.  A P's timers are run by its own M, after each switch
// and before each look at its queues (run_local_timers); a stealing M runs the due
// timers of the Ps it passes, and an M woken without a P those of the Ps nobody checks
// (run_due_timers).  When there is nothing to run, one idle M, the timer sleeper,
// sleeps until the earliest deadline instead of indefinitely on its note: in
// epoll_wait once the poller is in use (so I/O wakes it too), else on its note with a
// timeout (sleep_for_timers).  An M whose own queues are empty also polls the network
// without blocking before it steals.
//
// Randomized schedules (GORT_SCHEDULE_SEED=<n>, Options::schedule_seed; Go turns the
// same kind of thing on under -race as randomizeScheduler).  Go leaves the order in
// which runnable goroutines run unspecified, and a program that works only because of
// the order one scheduler happens to pick is broken.  Under a seed, the choices Go
// leaves open are drawn from the seed instead of fixed:
//   - where a goroutine made runnable goes: runnext or the ring's tail (Go's race
//     mode flips that coin too), or, one time in kRandomGlobalOdds, the global queue;
//   - which runs next: runnext or the ring's head, and one time in kRandomGlobalOdds
//     the global queue first;
//   - where a thief starts its round over the Ps, and select's poll order;
//   - whether the running goroutine yields (random_yield_point, probability
//     1/kRandomYieldOdds) right after go() and after a blocking channel operation
//     readied a partner or was woken: the places where "the other goroutine has not run
//     yet" is the usual hidden assumption.
// Every decision draws from the stream of the P making it (P.sched_rand, seeded from
// the seed and the P's id), so at one P the schedule is a function of the seed and
// the program alone and the seed reproduces a failure; at several Ps the OS still
// interleaves the threads, and a seed makes a failure likely rather than certain.
// Nothing Go specifies changes: FIFO hand-off on a channel, a woken party's result,
// fairness bounds (a skipped runnext runs later, a goroutine in the global queue is
// found by the next P that looks).  Yields happen only where a goroutine could park
// anyway (never with a runtime lock held, never on g0 or inside blocking()).
// Off, the cost is one predictable branch on sched.randomize at each of those points;
// every randomized path is out of line.  Rejected: a random position in the ring (a
// thief copying slots while the owner swaps them would run a goroutine twice); one
// process-wide stream (a shared cache line on every decision, and the order of draws
// between Ps would not be reproducible anyway).
//
// Abandonment (teardown): when main returns, the world stops and every goroutine still
// alive is unwound; the protocol is at the top of run.cpp.
#include "proc.hpp"

#include <algorithm>
#include <cerrno>
#include <exception>
#include <new>
#include <stdexcept>
#include <system_error>

#include <gort/detail/spawn.hpp>
#include <gort/detail/unwind.hpp>

#include "fatal.hpp"
#include "netpoll.hpp"
#include "os.hpp"
#include "rand.hpp"
#include "sysmon.hpp"
#include "throwtrace.hpp"

namespace gort::detail {

Sched sched;

namespace {

constexpr std::uint32_t kGlobalCheckTicks = 61;  // Go: "check the global runnable queue once in a while"
constexpr std::uint32_t kRunnextStreak = 61;     // same bound for runnext monopolies
constexpr int kStealRounds = 4;                  // Go's stealTries
constexpr std::int32_t kGfreeLocalMax = 64;      // Go: per-P free G list bound
constexpr std::int32_t kGfreeBatch = 32;
// Randomized schedules: odds of the decisions above.  Each is a trade between how often
// a seed reorders and how much of the ordinary schedule (and its speed) it keeps; with
// these, a few seeds reorder any small program's goroutines in many ways (schedule_test).
constexpr std::uint32_t kRandomGlobalOdds = 8;   // to / from the global queue
constexpr std::uint32_t kRandomYieldOdds = 4;    // yield at a random_yield_point
// How long a running P's due timers are left to its own M before an idle M runs them:
// a scheduling round of a busy P is microseconds; 1 ms is the accuracy gort promises.
constexpr std::int64_t kBusyPTimerGrace = 1000000;
// How often a busy P looks at the other Ps' timers (in its scheduling rounds), and how
// overdue one must be before it runs them: a P whose M is running checks its own at
// every switch, microseconds apart, so 200 us overdue means its M is not running.
constexpr std::uint32_t kOtherPTimerTicks = 64;
constexpr std::int64_t kOtherPTimerGrace = 200000;

// ------------------------------------------------------------------ helpers

std::uint32_t fastrand(M* m) {  // xorshift32, per M
  std::uint32_t x = m->fastrand;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  m->fastrand = x;
  return x;
}

// P `id`'s stream of the seed: splitmix64 of the two (Vigna's seeding finaliser), so
// that neighbouring seeds and ids start far apart.
std::uint64_t sched_rand_init(std::uint64_t seed, int id) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(id) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
inline void counter_add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  // Single writer: a plain load+store, not a locked read-modify-write.
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// ------------------------------------------------------- run queue policies
// The queues themselves are in runq.cpp; here, which one a goroutine goes to and which
// one the next goroutine comes from.

void runqput_random(P* p, G* gp, bool next);

// Puts gp, made runnable by p's owner, on p's queue; under a schedule seed, where the
// seed says.  Not under sched.lock.
inline void put_runnable(P* p, G* gp, bool next) {
  if (sched.randomize.load(std::memory_order_relaxed)) [[unlikely]]
    runqput_random(p, gp, next);
  else
    runqput(p, gp, next);
}

// Randomized schedules: runnext or the tail, or now and then the global queue.
[[gnu::noinline]] void runqput_random(P* p, G* gp, bool next) {
  const std::uint32_t r = wyrand(&p->sched_rand);
  if (r % kRandomGlobalOdds == 0) {
    LockGuard lk(sched.lock);
    globrunqput(gp);
    return;
  }
  runqput(p, gp, next && (r & (1u << 16)) != 0);
}

// Randomized schedules: now and then the global queue first, runnext or the ring's
// head, then the global queue.  The runnext streak needs no count: runnext is skipped
// half the time.
[[gnu::noinline]] G* runq_next_local_random(P* p) {
  const std::uint32_t r = wyrand(&p->sched_rand);
  if (r % kRandomGlobalOdds == 0 && sched.runq_size.load(std::memory_order_relaxed) > 0) {
    LockGuard lk(sched.lock);
    if (G* gp = globrunqget(p, 1)) return gp;
  }
  bool from_runnext = false;
  if (G* gp = p->runq.get(&from_runnext, (r & (1u << 16)) != 0)) return gp;
  if (sched.runq_size.load(std::memory_order_relaxed) > 0) {
    LockGuard lk(sched.lock);
    return globrunqget(p, 0);
  }
  return nullptr;
}

// The next goroutine from p without looking at other Ps: the global queue now and
// then, runnext (unless it has had its streak), the ring, then the global queue.
G* runq_next_local(P* p) {
  if (sched.randomize.load(std::memory_order_relaxed)) [[unlikely]]
    return runq_next_local_random(p);
  if (p->schedtick.load(std::memory_order_relaxed) % kGlobalCheckTicks == 0 && sched.runq_size.load(std::memory_order_relaxed) > 0) {
    LockGuard lk(sched.lock);
    if (G* gp = globrunqget(p, 1)) return gp;
  }
  bool from_runnext = false;
  bool skip_runnext = p->runnext_streak >= kRunnextStreak;
  G* gp = p->runq.get(&from_runnext, skip_runnext);
  p->runnext_streak = from_runnext ? p->runnext_streak + 1 : 0;
  if (gp != nullptr) return gp;
  if (sched.runq_size.load(std::memory_order_relaxed) > 0) {
    LockGuard lk(sched.lock);
    return globrunqget(p, 0);
  }
  return nullptr;
}

// ------------------------------------------------------- idle Ps and Ms
// Under sched.lock.

void pidleput(P* p) GORT_REQUIRES(sched.lock) {
  GORT_CHECK_SCHED_LOCKED(p->m == nullptr, "pidleput: P %d still held by M %lld", p->id,
                          static_cast<long long>(p->m.load(std::memory_order_relaxed)->id));
  // Go's "pidleput: P has non-empty run queue": only its owner queues on a P, and the
  // owner drops it with nothing queued (teardown empties the queues itself).
  GORT_CHECK_SCHED_LOCKED(p->runq.empty() || sched.abandoning.load(std::memory_order_relaxed),
                          "pidleput: P %d has a non-empty run queue", p->id);
  if constexpr (kDebugChecks)
    for (P* q = sched.pidle; q != nullptr; q = q->link)
      GORT_CHECK_SCHED_LOCKED(q != p, "pidleput: P %d is on the idle list already", p->id);
  p->status.store(PStatus::kIdle, std::memory_order_relaxed);
  p->m.store(nullptr, std::memory_order_release);
  p->link = sched.pidle;
  sched.pidle = p;
  sched.npidle.fetch_add(1, std::memory_order_seq_cst);
}

P* pidleget() GORT_REQUIRES(sched.lock) {
  P* p = sched.pidle;
  if (p != nullptr) {
    GORT_CHECK_SCHED_LOCKED(p->status.load(std::memory_order_relaxed) == PStatus::kIdle && p->m == nullptr,
                            "pidleget: idle P %d has status %d and M %p", p->id,
                            static_cast<int>(p->status.load(std::memory_order_relaxed)),
                            static_cast<void*>(p->m.load(std::memory_order_relaxed)));
    sched.pidle = p->link;
    sched.npidle.fetch_sub(1, std::memory_order_seq_cst);
    // A P goes to work: sysmon, asleep while every P was idle, watches for hogs again.
    if (sched.hogwarn_ns != 0) sysmon_notify_work();
  }
  return p;
}

void mput(M* m) GORT_REQUIRES(sched.lock) {
  m->schedlink = sched.midle;
  sched.midle = m;
  ++sched.nmidle;
}

void mremove(M* m) GORT_REQUIRES(sched.lock) {  // m may or may not be on the list
  for (M** link = &sched.midle; *link != nullptr; link = &(*link)->schedlink) {
    if (*link == m) {
      *link = m->schedlink;
      --sched.nmidle;
      return;
    }
  }
}

// An idle M to hand a P to.  The timer sleeper only if no other M is idle: taking it
// leaves nobody asleep for the timers of the Ps that stay idle.
M* mget() GORT_REQUIRES(sched.lock) {
  M** link = &sched.midle;
  if (*link != nullptr && *link == sched.timer_sleeper && (*link)->schedlink != nullptr) link = &(*link)->schedlink;
  M* m = *link;
  if (m != nullptr) {
    *link = m->schedlink;
    --sched.nmidle;
  }
  return m;
}

// m takes p: m holds none, p is idle and free or promised to m (startm's nextp).
// Called with sched.lock held, except by procresize before any other M exists.
void acquirep(M* m, P* p) {
  GORT_CHECK_SCHED_LOCKED(m->p == nullptr, "acquirep: M %lld already holds P %d", static_cast<long long>(m->id), m->p->id);
  GORT_CHECK_SCHED_LOCKED(p->m == nullptr || p->m == m, "acquirep: P %d is held by M %lld, not M %lld", p->id,
                          static_cast<long long>(p->m.load(std::memory_order_relaxed)->id),
                          static_cast<long long>(m->id));
  GORT_CHECK_SCHED_LOCKED(p->status.load(std::memory_order_relaxed) == PStatus::kIdle,
                          "acquirep: P %d has status %d, not idle", p->id,
                          static_cast<int>(p->status.load(std::memory_order_relaxed)));
  m->p = p;
  p->m.store(m, std::memory_order_release);
  p->status.store(PStatus::kRunning, std::memory_order_relaxed);
}

P* releasep(M* m) {
  P* p = m->p;
  GORT_CHECK_SCHED_LOCKED(p != nullptr, "releasep: M %lld holds no P", static_cast<long long>(m->id));
  GORT_CHECK_SCHED_LOCKED(p->m == m && p->status.load(std::memory_order_relaxed) == PStatus::kRunning,
                          "releasep: P %d has M %p and status %d, expected M %lld running it", p->id,
                          static_cast<void*>(p->m.load(std::memory_order_relaxed)),
                          static_cast<int>(p->status.load(std::memory_order_relaxed)),
                          static_cast<long long>(m->id));
  m->p = nullptr;
  p->m.store(nullptr, std::memory_order_release);
  return p;
}

// ---------------------------------------------------------------- G records

GChunk* new_gchunk_locked() GORT_REQUIRES(sched.lock) {
  auto* c = new GChunk;
  c->next = sched.gchunks;
  sched.gchunks = c;
  return c;
}

G* carve(GChunk* c) {
  std::uint32_t i = c->used.load(std::memory_order_relaxed);
  G* gp = ::new (c->at(i)) G;
  c->used.store(i + 1, std::memory_order_release);  // for_each_g sees it whole
  return gp;
}

// A new G record, carved from p's chunk without a lock; a thread without a P carves
// from a shared chunk under sched.lock.
G* malg(P* p) {
  if (p == nullptr) {
    LockGuard lk(sched.lock);
    GChunk*& c = sched.foreign_gchunk;
    if (c == nullptr || c->used.load(std::memory_order_relaxed) == GChunk::kGs) c = new_gchunk_locked();
    return carve(c);
  }
  if (p->gchunk == nullptr || p->gchunk->used.load(std::memory_order_relaxed) == GChunk::kGs) {
    LockGuard lk(sched.lock);
    p->gchunk = new_gchunk_locked();
  }
  return carve(p->gchunk);
}

G* gfget(P* p) {
  if (p == nullptr) {
    LockGuard lk(sched.lock);
    G* gp = sched.gfree;
    if (gp != nullptr) {
      sched.gfree = gp->schedlink;
      --sched.gfree_count;
    }
    return gp;
  }
  if (p->gfree == nullptr && sched.gfree_count.load(std::memory_order_relaxed) > 0) {  // peek; rechecked under the lock
    LockGuard lk(sched.lock);
    while (p->gfree_count < kGfreeBatch && sched.gfree != nullptr) {
      G* gp = sched.gfree;
      sched.gfree = gp->schedlink;
      --sched.gfree_count;
      gp->schedlink = p->gfree;
      p->gfree = gp;
      ++p->gfree_count;
    }
  }
  G* gp = p->gfree;
  if (gp != nullptr) {
    p->gfree = gp->schedlink;
    --p->gfree_count;
  }
  return gp;
}

void gfput(P* p, G* gp) {
  casgstatus(gp, GStatus::kDead, GStatus::kIdle);
  if (p == nullptr) {
    LockGuard lk(sched.lock);
    gp->schedlink = sched.gfree;
    sched.gfree = gp;
    ++sched.gfree_count;
    return;
  }
  gp->schedlink = p->gfree;
  p->gfree = gp;
  if (++p->gfree_count >= kGfreeLocalMax) {
    LockGuard lk(sched.lock);
    while (p->gfree_count > kGfreeBatch) {
      G* g = p->gfree;
      p->gfree = g->schedlink;
      --p->gfree_count;
      g->schedlink = sched.gfree;
      sched.gfree = g;
      ++sched.gfree_count;
    }
  }
}

void* alloc_frame(std::size_t size, std::size_t align) {
  return ::operator new(size, std::align_val_t(std::max(align, alignof(std::max_align_t))));
}

void delete_frame(void* frame, std::size_t align) {
  ::operator delete(frame, std::align_val_t(std::max(align, alignof(std::max_align_t))));
}

void free_frame(G* gp) {
  if (gp->frame != nullptr && gp->frame != gp->inline_frame) delete_frame(gp->frame, gp->frame_align);
  gp->frame = nullptr;
  gp->fn = nullptr;
}

// ------------------------------------------------------------ switching

void goroutine_entry(void* transfer, void* data);
void post_switch(M* m);

// Makes gp the running goroutine of m, giving it a stack if this is its first run.
Gobuf* prepare_run(M* m, G* gp) {
  m->curg = gp;
  casgstatus(gp, GStatus::kRunnable, GStatus::kRunning);
  if (g_tracing) [[unlikely]]
    trace_event(m, TraceKind::kRun, gp->goid);
  if (gp->stack_lo == nullptr) {
    Stack st = m->p != nullptr ? m->p->stackcache.get(sched.stack_size) : stack_alloc(sched.stack_size);
    if (!st) [[unlikely]]
      fatal_stack_alloc(sched.stack_size, errno);  // Go's stackalloc throws "out of memory" too
    gp->stack_lo = st.lo;
    gp->stack_guarded = st.guarded;
    // The top of the stack holds the goroutine's throw trace slot (throwtrace.hpp).
    char* top = st.hi - kThrowTraceBytes;
    stack_unpoison(top, st.hi);  // a coroutine's frames may have used the slot before
    auto* trace = reinterpret_cast<ThrowTrace*>(top);
    trace->n = 0;
    trace->panics = nullptr;
    gobuf_init(&gp->sched, st.lo, top, st.canary(), goroutine_entry, nullptr);
  }
  if (P* p = m->p) {
    p->schedtick.store(p->schedtick.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    counter_add(p->switches);
  }
  return &gp->sched;
}

void trace_stop(M* m, G* gp) {
  StopWhy why = m->post.op == PostSwitch::Op::kPark    ? StopWhy::kPark
                : m->post.op == PostSwitch::Op::kYield ? StopWhy::kYield
                : m->post.op == PostSwitch::Op::kExit  ? StopWhy::kExit
                                                       : StopWhy::kSyscall;
  trace_event(m, TraceKind::kStop, gp->goid, static_cast<std::uint8_t>(why),
              static_cast<std::uint8_t>(gp->waitreason.load(std::memory_order_relaxed)));
}

// Leaves gp, the running goroutine of m: switches to the next goroutine of m's P, or
// to m's g0.  The caller has filled m->post, which whichever context runs next on
// this thread applies.
void switch_away(M* m, G* gp, bool via_g0) {
  const bool exits = m->post.op == PostSwitch::Op::kExit;
  if (g_tracing) [[unlikely]]
    trace_stop(m, gp);
  G* next = nullptr;
  if (!via_g0 && m->p != nullptr && !sched.abandoning.load(std::memory_order_relaxed))
    next = runq_next_local(m->p);
  if (next != nullptr) {
    gobuf_switch(&gp->sched, prepare_run(m, next), m->eh, exits);
  } else {
    m->curg = nullptr;
    gobuf_switch(&gp->sched, &m->g0, m->eh, exits);
  }
  // gp runs again, maybe on another thread: getm(), never `m`.
  post_switch(getm());
}

void gexit_finish(M* m, G* gp);
void exitsyscall0(M* m, G* gp);
void post_switch_op(M* m, const PostSwitch& post);

// Runs the timers of other Ps that are overdue by more than kOtherPTimerGrace.  With
// more Ps than cores, the kernel deschedules a busy P's M for milliseconds at a time,
// and its timers come due meanwhile; idle Ms run them (steal_work, run_due_timers),
// but when every M is busy nobody does.  Measured, sleepers at 8 Ps on 2 cores: p50
// lateness 1.1-1.5 ms, against 30 us at 2 Ps.  Go's stealWork leaves them too.
[[gnu::noinline]] void run_overdue_timers_of_others(P* self) {
  std::int64_t now = 0;
  for (P* p : sched.allp) {
    if (p == self) continue;
    const std::int64_t w = p->timers.when0.load(std::memory_order_relaxed);
    if (w == 0) continue;
    if (now == 0) now = nanotime();
    if (now - w > kOtherPTimerGrace) check_timers(p, now);
  }
}

// Runs p's due timers, and now and then the long-overdue ones of other Ps.  Only where
// the running code holds no primitive's lock: a timer may send on a channel the
// parking goroutine has not unlocked yet, so never before a switch, always after the
// unlock function ran.
inline void run_local_timers(P* p) {
  if (p == nullptr) return;
  if (p->timers.when0.load(std::memory_order_relaxed) != 0) check_timers(p, nanotime());
  if (p->schedtick.load(std::memory_order_relaxed) % kOtherPTimerTicks == 0 && sched.allp.size() > 1) [[unlikely]]
    run_overdue_timers_of_others(p);
}

void post_switch(M* m) {
  PostSwitch post = m->post;
  m->post.op = PostSwitch::Op::kNone;
  post_switch_op(m, post);
  run_local_timers(m->p);
}

void post_switch_op(M* m, const PostSwitch& post) {
  switch (post.op) {
    case PostSwitch::Op::kNone:
      break;
    case PostSwitch::Op::kPark:
      casgstatus(post.gp, GStatus::kRunning, GStatus::kWaiting, std::memory_order_release);
      if (post.unlockf != nullptr && !post.unlockf(post.gp, post.arg)) {
        casgstatus(post.gp, GStatus::kWaiting, GStatus::kRunnable);
        put_runnable(m->p, post.gp, true);
      }
      break;
    case PostSwitch::Op::kYield:
      casgstatus(post.gp, GStatus::kRunning, GStatus::kRunnable);
      if (!sched.abandoning.load(std::memory_order_relaxed)) put_runnable(m->p, post.gp, false);
      break;
    case PostSwitch::Op::kExit:
      gexit_finish(m, post.gp);
      break;
    case PostSwitch::Op::kExitSyscall:
      exitsyscall0(m, post.gp);
      break;
  }
}

// ----------------------------------------------------- spinning, start/stop M

void stopm(M* m);
void newm(P* p, bool spinning);

void mstart(M* m) {
  m->tid = os_thread_id();
  m->eh = this_thread_eh();
  setm(m);
  ensure_signal_stack();
  {
    LockGuard lk(sched.lock);
    acquirep(m, m->nextp);
    m->nextp = nullptr;
  }
  schedule(m);
  release_signal_stack();
  setm(nullptr);
}

void newm(P* p, bool spinning) {
  M* m = new M;
  m->spinning = spinning;
  // Under the lock: the M is counted in allm (checkdead, teardown) from the moment its
  // thread exists, and `thread` is written before anyone can join it.
  sched.lock.lock();
  m->nextp = p;
  m->id = sched.mnext++;
  m->fastrand = static_cast<std::uint32_t>(m->id) * 0x9E3779B9u + 1;
  sched.allm.push_back(m);
  int err;
  try {
    m->thread = std::thread(mstart, m);
    sched.lock.unlock();
    return;
  } catch (const std::system_error& e) {
    err = e.code().value();
  } catch (const std::bad_alloc&) {
    err = ENOMEM;
  }
  sched.allm.pop_back();
  // p, handed to the M that will never run, counts as frozen: the report's freeze
  // would otherwise wait its full timeout for it.
  sched.nfrozen.fetch_add(1, std::memory_order_seq_cst);
  const std::size_t have = sched.allm.size() + 1;  // the Ms and sysmon
  sched.lock.unlock();  // the report takes sched.lock to list the goroutines
  fatal_newosproc(err, have);
}

// Starts an M (an idle one, or a new thread) to run p, or an idle P if p is null.
// spinning: the caller already counted the new M in nmspinning.
void startm(P* p, bool spinning) {
  M* nm;
  {
    LockGuard lk(sched.lock);
    if (p == nullptr) {
      p = pidleget();
      if (p == nullptr) {
        if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
        return;
      }
    }
    nm = mget();
    if (nm != nullptr) {
      GORT_CHECK_SCHED_LOCKED(nm->p == nullptr && nm->nextp == nullptr, "startm: idle M %lld has P %p and next P %p",
                              static_cast<long long>(nm->id), static_cast<void*>(nm->p), static_cast<void*>(nm->nextp));
      nm->spinning = spinning;
      nm->nextp = p;
      p->m.store(nm, std::memory_order_release);
    }
  }
  if (nm == nullptr) {
    newm(p, spinning);
    return;
  }
  nm->park.wakeup();
}

// Sleeps until startm hands this M a P, or the runtime exits.
void stopm(M* m) {
  GORT_CHECK(m->p == nullptr, "stopm: M %lld holds P %d", static_cast<long long>(m->id), m->p->id);
  GORT_CHECK(!m->spinning, "stopm: M %lld is spinning", static_cast<long long>(m->id));
  {
    LockGuard lk(sched.lock);
    mput(m);
    if (sched.abandoning.load(std::memory_order_relaxed))
      sched.teardown_note.wakeup();  // the driver counts idle Ms
    else
      checkdead_locked();
  }
  m->park.sleep();
  m->park.clear();
  LockGuard lk(sched.lock);
  if (m->nextp != nullptr) {  // startm took us off the idle list and handed us a P
    acquirep(m, m->nextp);
    m->nextp = nullptr;
  } else if (!sched.exiting.load(std::memory_order_relaxed)) {
    mremove(m);  // woken for another reason (a timer): back to find_runnable
  }
}

// Under sched.lock: m woke; it is no longer the timer sleeper (unless replaced already).
void leave_timer_sleeper_locked(M* m) GORT_REQUIRES(sched.lock) {
  if (sched.timer_sleeper != m) return;
  sched.timer_sleeper = nullptr;
  sched.timer_sleep_until.store(0, std::memory_order_release);
}

// Sleeps, as the timer sleeper, until `when` (INT64_MAX: until I/O or a wake-up) or
// until woken (startm, a timer armed earlier, a descriptor ready).  Returns with a P or
// without one; find_runnable sorts it out.  Returns false at once if another M already
// sleeps for timers and wakes no later than `when`.
//
// There is one timer sleeper, and it must always be aimed at the earliest deadline:
//  - an M that needs an earlier deadline than the sleeper's takes its place and wakes
//    it (the old sleeper goes back to find_runnable, and to stopm);
//  - `when` was read before registering, and a timer armed in between saw no sleeper
//    (wake_for_timer then only calls wakep): after registering, the heaps are read
//    again and the deadline lowered (seq_cst on both sides: see wake_for_timer).
// Once the network poller is in use, the sleeper waits in netpoll instead of on its
// note (Go's M blocked in netpoll(delay)): I/O wakes it too.  It is then not on the
// idle M list, and what it finds goes straight to run queues.
bool sleep_for_timers(M* m, std::int64_t when) {
  const bool polls = netpoll_inited();
  {
    LockGuard lk(sched.lock);
    if (M* other = sched.timer_sleeper) {
      if (sched.timer_sleep_until.load(std::memory_order_relaxed) <= when) return false;
      sched.timer_sleeper = nullptr;  // it sleeps too long: this M replaces it
      wake_timer_sleeper_locked(other);
    }
    if (polls)
      netpoll_lastpoll.store(0, std::memory_order_seq_cst);
    else
      mput(m);
    m->sleeps_in_netpoll = polls;
    sched.timer_sleeper = m;
    sched.timer_sleep_until.store(when, std::memory_order_seq_cst);
  }
  if (std::int64_t next = earliest_timer(); next != 0 && next < when) {
    LockGuard lk(sched.lock);
    if (sched.timer_sleeper == m) {
      when = next;
      sched.timer_sleep_until.store(when, std::memory_order_seq_cst);
    }
  }
  if (polls) {
    std::int64_t delay = -1;
    if (when != kNoWakeDeadline) delay = std::max<std::int64_t>(0, when - nanotime());
    GList ready = netpoll(delay);
    netpoll_lastpoll.store(nanotime(), std::memory_order_seq_cst);
    {
      LockGuard lk(sched.lock);
      leave_timer_sleeper_locked(m);
      m->sleeps_in_netpoll = false;
      if (ready.n > 0 && !sched.abandoning.load(std::memory_order_relaxed))
        if (P* p = pidleget()) acquirep(m, p);
    }
    const std::int32_t n = ready.n;
    injectglist(ready);
    netpoll_injected(n);
    return true;
  }
  std::int64_t ns = when - nanotime();
  if (ns > 0) m->park.sleep_for(ns);
  m->park.clear();
  LockGuard lk(sched.lock);
  leave_timer_sleeper_locked(m);
  if (m->nextp != nullptr) {
    acquirep(m, m->nextp);
    m->nextp = nullptr;
  } else {
    mremove(m);
  }
  return true;
}

// When an idle M must wake next: the earliest timer, kNoWakeDeadline if only I/O may
// wake a goroutine, 0 if nothing can.
std::int64_t next_wake_deadline() {
  std::int64_t next = earliest_timer();
  if (next == 0 && netpoll_inited() && netpoll_waiters() > 0) next = kNoWakeDeadline;
  return next;
}

// Runs, without holding a P, the due timers of the Ps that nobody is checking: idle
// ones, ones whose M is inside blocking(), and busy ones whose timers are overdue by
// more than kBusyPTimerGrace (a goroutine that does not yield holds its P's timers
// back).  A running P's M checks its own timers at every schedule: taking them from it
// would send the goroutines they wake to the global queue, behind everything there.
bool run_due_timers(std::int64_t now) {
  bool ran = false;
  for (P* p : sched.allp) {
    std::int64_t w = p->timers.when0.load(std::memory_order_acquire);
    if (w == 0 || w > now) continue;
    if (p->status.load(std::memory_order_relaxed) == PStatus::kRunning && now - w < kBusyPTimerGrace) continue;
    check_timers(p, now);
    ran = true;
  }
  return ran;
}

void resetspinning(M* m) {
  GORT_CHECK(m->spinning, "resetspinning: M %lld is not spinning", static_cast<long long>(m->id));
  m->spinning = false;
  const std::int32_t left = sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst) - 1;
  GORT_CHECK(left >= 0, "resetspinning: nmspinning went negative (%d)", left);
  if (left == 0 &&
      sched.npidle.load(std::memory_order_seq_cst) > 0)
    wakep();  // keep one M spinning while work may still be unclaimed
}

// Steals half of some other P's queue (Go's stealWork); on its first round it also
// runs the due timers of the Ps it passes, and takes what they readied.
G* steal_work(M* m) {
  P* self = m->p;
  const std::uint32_t n = static_cast<std::uint32_t>(sched.gomaxprocs);
  std::int64_t now = 0;
  for (int round = 0; round < kStealRounds; ++round) {
    const bool steal_runnext = round == kStealRounds - 1;
    const bool seeded = sched.randomize.load(std::memory_order_relaxed);
    std::uint32_t start = (seeded ? wyrand(&self->sched_rand) : fastrand(m)) % n;
    for (std::uint32_t i = 0; i < n; ++i) {
      P* victim = sched.allp[(start + i) % n];
      if (victim == self) continue;
      // Due timers of a P that is busy (or idle): run them here (Go's stealWork).
      if (round == 0 && victim->timers.when0.load(std::memory_order_relaxed) != 0) {
        if (now == 0) now = nanotime();
        if (victim->timers.when0.load(std::memory_order_acquire) <= now) {
          check_timers(victim, now);
          bool from_runnext;
          if (G* gp = self->runq.get(&from_runnext)) return gp;
        }
      }
      const bool running = victim->status.load(std::memory_order_relaxed) == PStatus::kRunning;
      if (G* gp = victim->runq.steal_into(self->runq, steal_runnext, running)) {
        counter_add(self->steals);
        return gp;
      }
    }
  }
  return nullptr;
}

// A non-blocking look at the network poller, when goroutines wait for I/O and no M is
// blocked in it already: the first goroutine it made ready (for this M, which holds a
// P), the rest injected into run queues.
G* netpoll_ready_now() {
  if (!netpoll_inited() || netpoll_waiters() == 0 || netpoll_lastpoll.load(std::memory_order_relaxed) == 0)
    return nullptr;
  GList ready = netpoll(0);
  const std::int32_t n = ready.n;
  G* gp = ready.pop();
  if (gp == nullptr) return nullptr;
  injectglist(ready);
  netpoll_injected(n);  // gp too
  return gp;
}

// yield() found nothing in its P's queues.  Go's Gosched goes through schedule(), which
// runs due timers, polls the network and steals; without that, a goroutine yielding in
// a loop until a timer fires or I/O arrives would wait forever when that timer is its
// own P's (no other M looks at a busy P's timers soon, and at 1 P there is none), and
// goroutines queued behind a goroutine that never yields would stay there while this P
// spins.  Its own timers every time (one load when there are none); the network, other
// Ps' due timers and stealing once every kGlobalCheckTicks empty yields, so that a
// yield loop stays cheap.
[[gnu::noinline]] G* yield_find_more(M* m) {
  P* p = m->p;
  const std::uint32_t tick = p->schedtick.load(std::memory_order_relaxed) + 1;
  p->schedtick.store(tick, std::memory_order_relaxed);
  if (p->timers.when0.load(std::memory_order_relaxed) != 0) {
    check_timers(p, nanotime());
    if (G* gp = runq_next_local(p)) return gp;
  }
  if (tick % kGlobalCheckTicks != 0) return nullptr;
  if (G* gp = netpoll_ready_now()) return gp;
  return steal_work(m);
}

// Finds a goroutine to run, sleeping while there is none.  Null once the runtime is
// exiting.  Runs on g0.
G* find_runnable(M* m) {
  for (;;) {
    if (sched.abandoning.load(std::memory_order_acquire)) {
      if (sched.freezing.load(std::memory_order_acquire)) freeze_park();  // a fatal report is printing
      if (sched.exiting.load(std::memory_order_acquire)) return nullptr;
      if (m->p != nullptr && m != sched.teardown_driver) {
        LockGuard lk(sched.lock);
        pidleput(releasep(m));
      }
      if (m->spinning) {
        m->spinning = false;
        sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
      }
      if (m == sched.teardown_driver) return nullptr;
      stopm(m);
      continue;
    }
    if (m->p == nullptr) {
      // Woken without a P (a timer is due, or back from blocking()).  With an idle P,
      // look for work the normal way: due timers then ready goroutines into this P's
      // own queue, ahead of whatever waits in the global one.  Without, run the due
      // timers anyway (their goroutines go to the global queue) and sleep again.
      P* got;
      {
        LockGuard lk(sched.lock);
        got = pidleget();
        if (got != nullptr) acquirep(m, got);
      }
      if (got == nullptr) {
        run_due_timers(nanotime());
        std::int64_t next = next_wake_deadline();
        if (next == 0 || !sleep_for_timers(m, next)) stopm(m);
      }
      continue;
    }
    P* p = m->p;
    run_local_timers(p);
    if (G* gp = runq_next_local(p)) {
      if (m->spinning) resetspinning(m);
      return gp;
    }
    // Poll the network without blocking, before stealing, if no M is blocked in the
    // poller already (Go: an optimisation; the blocking poll below is what counts).
    if (G* gp = netpoll_ready_now()) {
      if (m->spinning) resetspinning(m);
      return gp;
    }
    // Steal, if not too many Ms are at it already.
    std::int32_t busy = sched.gomaxprocs - sched.npidle.load(std::memory_order_seq_cst);
    if (m->spinning || 2 * sched.nmspinning.load(std::memory_order_seq_cst) < busy) {
      if (!m->spinning) {
        m->spinning = true;
        sched.nmspinning.fetch_add(1, std::memory_order_seq_cst);
      }
      if (G* gp = steal_work(m)) {
        resetspinning(m);
        return gp;
      }
    }
    // Nothing local or to steal: the global queue, else give up the P.
    G* from_global = nullptr;
    {
      LockGuard lk(sched.lock);
      if (sched.abandoning.load(std::memory_order_relaxed)) continue;
      if (sched.runq_size.load(std::memory_order_relaxed) > 0) from_global = globrunqget(p, 0);
      if (from_global == nullptr) pidleput(releasep(m));
    }
    if (from_global != nullptr) {
      // Go's resetspinning, after the lock: if this was the last spinning M, wake
      // another, since more of the global queue (or of some P's) may be unclaimed.
      if (m->spinning) resetspinning(m);
      return from_global;
    }
    if (m->spinning) {
      m->spinning = false;
      sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
      // A goroutine made ready after our last look, while we were still counted as
      // spinning, did not wake anybody: look once more at every queue.
      for (P* other : sched.allp) {
        if (other->runq.empty()) continue;
        P* got;
        {
          LockGuard lk(sched.lock);
          got = pidleget();
        }
        if (got != nullptr) {
          acquirep(m, got);
          m->spinning = true;
          sched.nmspinning.fetch_add(1, std::memory_order_seq_cst);
        }
        break;
      }
      if (m->p != nullptr) continue;
      LockGuard lk(sched.lock);
      if (sched.runq_size.load(std::memory_order_relaxed) > 0) {
        if (P* got = pidleget()) {
          acquirep(m, got);
          continue;
        }
      }
    }
    // Timers and I/O: be the M that wakes for the next one, unless another already is.
    if (std::int64_t next = next_wake_deadline(); next != 0) {
      if (next <= nanotime()) continue;  // due already: the m->p == nullptr path runs them
      if (sleep_for_timers(m, next)) continue;
    }
    stopm(m);
  }
}

// --------------------------------------------------------------- goroutine end

// Runs in the context after gp's last switch: gp is off its stack for good.
void gexit_finish(M* m, G* gp) {
  casgstatus(gp, GStatus::kRunning, GStatus::kDead, std::memory_order_release);
  P* p = m->p;
  if (gp->stack_lo != nullptr) {
    if (p != nullptr)
      p->stackcache.put(g_stack(gp));
    else
      stack_free(g_stack(gp));
    gp->stack_lo = nullptr;
  }
  gobuf_release(&gp->sched);  // TSan: its fiber (the sanitizer allows 8,128 at once)
  if (p != nullptr)
    counter_add(p->exited);
  else
    sched.exited_off_p.fetch_add(1, std::memory_order_relaxed);
  const bool was_main = gp->is_main;
  gp->is_main = false;
  gfput(p, gp);
  if (was_main) begin_teardown(m);
}

[[noreturn]] void goexit1(M* m, G* gp) {
  // main's exit goes through g0, which then drives the teardown.
  m->post = PostSwitch{PostSwitch::Op::kExit, gp, nullptr, nullptr};
  switch_away(m, gp, gp->is_main);
  __builtin_unreachable();
}

void goroutine_entry(void* transfer, void*) {
  gobuf_arrived(nullptr, static_cast<Gobuf*>(transfer));
  M* m = getm();
  post_switch(m);
  G* gp = getm()->curg;
  bool goexited = false;
  if (gp->abandoned) {
    gp->unwinding = true;  // never started: only its frame is destroyed
    try {
      gp->fn(gp->frame, FrameOp::kDestroy);
    } catch (...) {
      fatal_panic(gp, std::current_exception());
    }
  } else {
    try {
      gp->fn(gp->frame, FrameOp::kRun);
    } catch (const GoexitUnwind&) {
      goexited = true;
      fatal_if_deferred_panic(gp);  // Go: a panic during Goexit's defers ends the process
    } catch (const AbandonUnwind&) {
    } catch (...) {
      fatal_panic(gp, std::current_exception());
    }
  }
  drop_panic_chain(gp);
  free_frame(gp);
  if (gp->is_main && goexited) {
    // Go: main's Goexit ends main without ending the program; when every other
    // goroutine is gone too, checkdead reports it.
    LockGuard lk(sched.lock);
    gp->is_main = false;
    sched.main_goexited = true;
  }
  goexit1(getm(), gp);
}

}  // namespace

// ================================================================ interface

// ------------------------------------------------------- for run.cpp

void execute(M* m, G* gp) {
  gobuf_switch(&m->g0, prepare_run(m, gp), m->eh);
  post_switch(m);  // g0 never migrates: `m` is still this thread's M
}

void schedule(M* m) {
  for (;;) {
    G* gp = find_runnable(m);
    if (gp == nullptr) return;
    execute(m, gp);
  }
}

void acquirep_idle(M* m) {
  LockGuard lk(sched.lock);
  acquirep(m, pidleget());
}

void procresize(M* m0, int nprocs, std::uint64_t seed) {
  for (int i = 0; i < nprocs; ++i) {
    P* p = new P;
    p->id = i;
    p->sched_rand = sched_rand_init(seed, i);
    p->runq.set_sole_consumer(nprocs == 1);  // one P: no thieves
    sched.allp.push_back(p);
  }
  acquirep(m0, sched.allp[0]);
  LockGuard lk(sched.lock);
  for (int i = nprocs - 1; i >= 1; --i) pidleput(sched.allp[i]);
}

// ------------------------------------------------------ parking and readying

bool can_gopark() {
  M* m = getm();
  return m != nullptr && m->curg != nullptr && m->p != nullptr;
}

namespace {
bool gopark_m(M* m, G* gp, UnlockFn unlockf, void* arg, WaitReason reason, CancelFn cancel, void* cancel_arg) {
  gp->waitreason.store(reason, std::memory_order_relaxed);
  // No clock read per park: the first dump that sees the goroutine parked stamps the
  // time (traceback.cpp), as Go's GC does for gp.waitsince.
  gp->waitsince.store(0, std::memory_order_relaxed);
  gp->cancel = cancel;
  gp->cancel_arg = cancel_arg;
  counter_add(m->p->parks);
  m->post.op = PostSwitch::Op::kPark;
  m->post.gp = gp;
  m->post.unlockf = unlockf;
  m->post.arg = arg;
  switch_away(m, gp, false);
  gp->cancel = nullptr;
  if (gp->abandoned) {
    abandon_point(gp);
    if (gp->park_cancelled) {
      gp->park_cancelled = false;
      return false;
    }
  }
  return true;
}
}  // namespace

bool gopark(UnlockFn unlockf, void* arg, WaitReason reason, CancelFn cancel, void* cancel_arg) {
  M* m = getm();
  return gopark_m(m, m->curg, unlockf, arg, reason, cancel, cancel_arg);
}

bool ready_mark(G* gp) {
  GStatus st = gp->status.load(std::memory_order_acquire);
  if (st != GStatus::kWaiting) fatal("goready: goroutine is not waiting");
  casgstatus(gp, GStatus::kWaiting, GStatus::kRunnable);
  if (sched.abandoning.load(std::memory_order_acquire)) return false;  // the teardown driver finds it
  if (g_tracing) [[unlikely]]
    trace_event(getm(), TraceKind::kUnpark, gp->goid);
  return true;
}

void injectglist(GList& list) {
  if (list.n == 0) return;
  M* m = getm();
  P* p = m != nullptr ? m->p : nullptr;
  // As many as there are idle Ps go to the global queue, each with an M started for
  // it; the rest to this M's own queue (Go's injectglist).
  std::int32_t to_global = p == nullptr ? list.n : std::min(list.n, sched.npidle.load(std::memory_order_seq_cst));
  if (to_global > 0) {
    GlobalBatch global;
    for (std::int32_t i = 0; i < to_global; ++i) global.push(list.pop());
    {
      LockGuard lk(sched.lock);
      globrunqputbatch(global);
    }
    for (std::int32_t i = 0; i < to_global && sched.npidle.load(std::memory_order_seq_cst) > 0; ++i)
      startm(nullptr, false);
  }
  while (G* gp = list.pop()) put_runnable(p, gp, false);
}

void wake_timer_sleeper_locked(M* sleeper) {
  if (sleeper->sleeps_in_netpoll)
    netpoll_break();
  else
    sleeper->park.wakeup();
}

void goready(G* gp) {
  if (!ready_mark(gp)) return;
  M* m = getm();
  P* p = m != nullptr ? m->p : nullptr;
  if (p != nullptr) {
    put_runnable(p, gp, true);
  } else {
    LockGuard lk(sched.lock);
    globrunqput(gp);
  }
  wakep();
}

void wakep() {
  if (sched.npidle.load(std::memory_order_seq_cst) == 0) return;
  // Be conservative about spinning threads: one at a time, and only if nobody spins.
  std::int32_t expected = 0;
  if (sched.nmspinning.load(std::memory_order_seq_cst) != 0 ||
      !sched.nmspinning.compare_exchange_strong(expected, 1, std::memory_order_seq_cst))
    return;
  startm(nullptr, true);
}

// A P without an M: sysmon retook it from an M inside blocking().  An M is started
// for it if it or the global queue has work, or if no M spins and no other P is idle
// (then nobody would notice work readied later; Go's handoffp); else it goes idle.
void handoffp(P* p) {
  if (!p->runq.empty() || sched.runq_size.load(std::memory_order_seq_cst) > 0) {
    startm(p, false);
    return;
  }
  std::int32_t expected = 0;
  if (sched.nmspinning.load(std::memory_order_seq_cst) + sched.npidle.load(std::memory_order_seq_cst) == 0 &&
      sched.nmspinning.compare_exchange_strong(expected, 1, std::memory_order_seq_cst)) {
    startm(p, true);
    return;
  }
  {
    LockGuard lk(sched.lock);
    if (sched.runq_size.load(std::memory_order_relaxed) == 0 || sched.abandoning.load(std::memory_order_relaxed)) {
      pidleput(p);
      return;
    }
  }
  startm(p, false);
}

void entersyscall() {
  M* m = getm();
  G* gp = m->curg;
  P* p = m->p;
  p->syscalltick.store(p->syscalltick.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  p->syscallwhen.store(nanotime(), std::memory_order_relaxed);
  counter_add(p->syscalls);
  casgstatus(gp, GStatus::kRunning, GStatus::kSyscall);
  m->oldp = p;
  m->p = nullptr;
  p->m.store(nullptr, std::memory_order_release);
  p->status.store(PStatus::kSyscall, std::memory_order_release);
  sched.nmsyscall.fetch_add(1, std::memory_order_seq_cst);
  sysmon_notify_work();
  if (g_tracing) [[unlikely]]
    trace_event(m, TraceKind::kSyscall, gp->goid);
}

namespace {
// On g0, after a goroutine back from blocking() found no P: queue it and sleep.
void exitsyscall0(M* m, G* gp) {
  casgstatus(gp, GStatus::kSyscall, GStatus::kRunnable, std::memory_order_release);
  LockGuard lk(sched.lock);
  if (sched.abandoning.load(std::memory_order_relaxed)) return;  // the driver finds it
  if (P* p = pidleget()) {
    acquirep(m, p);
    runqput(p, gp, true);
    return;
  }
  globrunqput(gp);
  // find_runnable sees m->p == nullptr and stops this M.
}
}  // namespace

void exitsyscall() {
  M* m = getm();
  G* gp = m->curg;
  if (g_tracing) [[unlikely]]
    trace_event(m, TraceKind::kSysret, gp->goid);
  P* oldp = m->oldp;
  m->oldp = nullptr;
  sched.nmsyscall.fetch_sub(1, std::memory_order_seq_cst);
  if (!sched.abandoning.load(std::memory_order_seq_cst)) {
    PStatus expected = PStatus::kSyscall;
    if (oldp->status.compare_exchange_strong(expected, PStatus::kRunning, std::memory_order_acquire)) {
      m->p = oldp;
      oldp->m.store(m, std::memory_order_release);
      casgstatus(gp, GStatus::kSyscall, GStatus::kRunning);
      return;
    }
    if (sched.npidle.load(std::memory_order_seq_cst) > 0) {
      P* p;
      {
        LockGuard lk(sched.lock);
        p = pidleget();
        if (p != nullptr) acquirep(m, p);
      }
      if (p != nullptr) {
        casgstatus(gp, GStatus::kSyscall, GStatus::kRunning);
        return;
      }
    }
  }
  // No P free: wait on the global queue like any runnable goroutine.
  gp->waitreason.store(WaitReason::kExitSyscall, std::memory_order_relaxed);
  m->post = PostSwitch{PostSwitch::Op::kExitSyscall, gp, nullptr, nullptr};
  m->curg = nullptr;
  gobuf_switch(&gp->sched, &m->g0, m->eh);
  post_switch(getm());
  if (gp->abandoned) abandon_point(gp);
}

void gosched() {
  M* m = getm();
  G* gp = m != nullptr ? m->curg : nullptr;
  if (gp == nullptr || m->p == nullptr) {  // a thread, or inside blocking()
    std::this_thread::yield();
    return;
  }
  if (gp->abandoned) {
    abandon_point(gp);
    return;
  }
  if (sched.abandoning.load(std::memory_order_acquire)) {
    // The world is stopping: through g0, so that this M can stop too.
    m->post = PostSwitch{PostSwitch::Op::kYield, gp, nullptr, nullptr};
    switch_away(m, gp, true);
  } else {
    G* next = runq_next_local(m->p);
    if (next == nullptr) next = yield_find_more(m);
    if (next == nullptr) return;  // nothing else to run: carry on
    m->post = PostSwitch{PostSwitch::Op::kYield, gp, nullptr, nullptr};
    if (g_tracing) [[unlikely]]
      trace_stop(m, gp);
    gobuf_switch(&gp->sched, prepare_run(m, next), m->eh);
    post_switch(getm());
  }
  if (gp->abandoned) abandon_point(gp);
}

void random_yield() {
  M* m = getm();
  // A thread, inside blocking(), or in runtime code that must not switch (M.locks).
  if (m == nullptr || m->curg == nullptr || m->p == nullptr || m->locks != 0) return;
  if (wyrand(&m->p->sched_rand) % kRandomYieldOdds != 0) return;
  gosched();
}

bool reserve_sched_rand(std::size_t n, std::uint64_t* state) {
  M* m = getm();
  if (m == nullptr || m->p == nullptr) return false;
  *state = m->p->sched_rand;
  m->p->sched_rand += kWyP0 * n;
  return true;
}

std::int64_t count_goroutines() {
  std::int64_t n = static_cast<std::int64_t>(sched.foreign_created.load(std::memory_order_relaxed)) -
                   static_cast<std::int64_t>(sched.exited_off_p.load(std::memory_order_relaxed));
  for (P* p : sched.allp)
    n += static_cast<std::int64_t>(p->created.load(std::memory_order_relaxed)) -
         static_cast<std::int64_t>(p->exited.load(std::memory_order_relaxed));
  return n;
}

// ------------------------------------------------------------------ Waiter

bool Waiter::park(UnlockFn unlockf, void* arg, WaitReason reason, CancelFn cancel, void* cancel_arg) {
  M* m = getm();
  if (m != nullptr && m->curg != nullptr && m->p != nullptr) {  // a goroutine, not inside blocking()
    g = m->curg;
    return gopark_m(m, g, unlockf, arg, reason, cancel, cancel_arg);
  }
  g = nullptr;
  // Counted asleep from before a waker can find it until ready() uncounts it: a thread
  // already readied but not yet scheduled by the OS must not look asleep to checkdead.
  sched.nthread_waiters.fetch_add(1, std::memory_order_seq_cst);
  if (unlockf != nullptr && !unlockf(nullptr, arg)) {
    sched.nthread_waiters.fetch_sub(1, std::memory_order_seq_cst);
    return true;
  }
  while (key.load(std::memory_order_acquire) == 0) futex_wait(&key, 0, -1);
  return true;
}

// The analysis cannot follow the release: the lock travels as unlockf's void* argument
// and is unlocked by the next context on this thread, after the switch (gopark).
bool Waiter::park(Lock* lock, WaitReason reason, CancelFn cancel, void* cancel_arg) GORT_NO_THREAD_SAFETY_ANALYSIS {
  return park(
      [](G*, void* l) GORT_NO_THREAD_SAFETY_ANALYSIS {
        static_cast<Lock*>(l)->unlock();
        return true;
      },
      lock, reason, cancel, cancel_arg);
}

void Waiter::ready() {
  if (g != nullptr) {
    goready(g);
    return;
  }
  sched.nthread_waiters.fetch_sub(1, std::memory_order_seq_cst);
  key.store(1, std::memory_order_release);
  futex_wake(&key, 1);
}

// ------------------------------------------------------------ spawn (newproc)

SpawnSlot newproc_reserve(std::size_t size, std::size_t align) {
  M* m = getm();
  P* p = m != nullptr ? m->p : nullptr;
  if (p == nullptr) sched.foreign_spawning.fetch_add(1, std::memory_order_seq_cst);  // teardown waits
  if (!sched.accepting.load(std::memory_order_seq_cst)) {
    if (p == nullptr) sched.foreign_spawning.fetch_sub(1, std::memory_order_seq_cst);
    if (!sched.running.load(std::memory_order_seq_cst)) throw std::logic_error("gort::go: called outside gort::run");
    return SpawnSlot{nullptr, alloc_frame(size, align), align};  // the runtime is ending: abandoned at birth
  }
  G* gp = nullptr;
  try {
    gp = gfget(p);
    if (gp == nullptr) gp = malg(p);
    gp->frame_align = static_cast<std::uint16_t>(align);
    gp->frame = size <= G::kInlineFrame && align <= alignof(std::max_align_t) ? gp->inline_frame : alloc_frame(size, align);
  } catch (...) {
    // std::bad_alloc (a G chunk, the frame) goes to go()'s caller, as make_chan's does,
    // with nothing half made: the G back on the free list, and teardown not left
    // waiting for a spawn that will never commit.
    if (gp != nullptr) {
      casgstatus(gp, GStatus::kIdle, GStatus::kDead);
      gfput(p, gp);
    }
    if (p == nullptr) sched.foreign_spawning.fetch_sub(1, std::memory_order_seq_cst);
    throw;
  }
  return SpawnSlot{gp, gp->frame, align};
}

void newproc_abort(SpawnSlot s) {
  if (s.g == nullptr) {
    delete_frame(s.frame, s.align);
    return;
  }
  free_frame(s.g);
  M* m = getm();
  P* p = m != nullptr ? m->p : nullptr;
  casgstatus(s.g, GStatus::kIdle, GStatus::kDead);  // never ran: straight back to the free list
  gfput(p, s.g);
  if (p == nullptr) sched.foreign_spawning.fetch_sub(1, std::memory_order_seq_cst);
}

void newproc_commit(SpawnSlot s, FrameFn fn, const CallSite& site) {
  if (s.g == nullptr) {  // abandoned at birth: only the frame is destroyed
    struct Free {
      SpawnSlot s;
      ~Free() { delete_frame(s.frame, s.align); }
    } release{s};
    fn(s.frame, FrameOp::kDestroy);
    return;
  }
  G* gp = s.g;
  M* m = getm();
  P* p = m != nullptr ? m->p : nullptr;
  G* parent = m != nullptr ? m->curg : nullptr;
  gp->fn = fn;
  gp->goid = sched.goidgen.fetch_add(1, std::memory_order_relaxed) + 1;
  gp->created_file.store(site.file, std::memory_order_relaxed);
  gp->created_function.store(site.function, std::memory_order_relaxed);
  gp->created_line.store(site.line, std::memory_order_relaxed);
  gp->parent_goid.store(parent != nullptr ? parent->goid : 0, std::memory_order_relaxed);
  gp->cancel = nullptr;
  gp->param = nullptr;
  gp->abandoned = gp->unwinding = gp->park_cancelled = false;
  gp->waitreason.store(WaitReason::kZero, std::memory_order_relaxed);
  casgstatus(gp, GStatus::kIdle, GStatus::kRunnable, std::memory_order_release);
  if (g_tracing) [[unlikely]]
    trace_event(m, TraceKind::kCreate, gp->goid);
  if (p != nullptr) {
    counter_add(p->created);
    put_runnable(p, gp, true);
  } else {
    sched.foreign_created.fetch_add(1, std::memory_order_relaxed);
    {
      LockGuard lk(sched.lock);
      globrunqput(gp);
    }
    sched.foreign_spawning.fetch_sub(1, std::memory_order_seq_cst);
  }
  // Under a seed the child may run before go() returns, as it may in Go (where the
  // spawner can be preempted, or the child stolen, at once).  Tested first, so that
  // the usual path keeps its tail call to wakep.
  if (sched.randomize.load(std::memory_order_relaxed)) [[unlikely]] {
    wakep();
    random_yield();
    return;
  }
  wakep();
}

}  // namespace gort::detail
