// run.cpp -- a run's life: gort::run() starts the runtime on the calling thread, runs
// main as goroutine 1, and when main returns, tears everything down so that run() can
// be called again.  The scheduler itself is proc.cpp.
//
// Abandonment.  When main returns, the other goroutines are abandoned, as in Go: they
// never run user code again.  Go's process then simply exits; gort's run() returns to
// its caller, which goes on living in the same process, so every goroutine still alive
// must also release what it holds: its destructors (and defers) run, its stack and G
// go back.  The protocol, driven by the M on which main's goroutine ended (gexit_finish
// calls begin_teardown on that M's g0):
//
//  1. Stop accepting.  `accepting` goes false, so go() from now on abandons its
//     goroutine at birth (only its frame is destroyed); `abandoning` goes true, which
//     every M checks at its scheduling points.  The driver waits for go() calls that
//     threads outside the runtime have in flight (foreign_spawning).
//  2. Stop the world.  Every other M finishes what it is running up to its next
//     scheduling point (scheduling is cooperative: gort cannot stop it sooner), goes
//     to its g0 rather than to another goroutine, drops its P and sleeps (find_runnable,
//     stopm), waking the driver.  An M inside blocking() is waited for: the call
//     returns into exitsyscall, which sees `abandoning` and queues nothing.  The M
//     sleeping in the network poller is woken (netpoll_break).  The driver waits until
//     every other M is idle and none is inside blocking().
//  3. Single-threaded from here.  The run queues are emptied (they are now only sets
//     of runnable Gs, and every G is in allgs anyway) and the driver takes a P.
//  4. Unwind.  The driver resumes, once more, every G that is neither idle nor dead,
//     flagged `abandoned`, on its own M (execute), and repeats the round over allgs
//     until one finds every G idle or dead (a G that blocks again while unwinding is
//     found waiting in the next round):
//     - One parked in a wait first has the wait cancelled: G.cancel (the CancelFn
//       gopark was given) removes it from the primitive's wait queue, so no waker can
//       reach it any more, and the G is made runnable.  The claim protocol: if the
//       CancelFn returns false, a waker got there first: it has dequeued the G and is
//       about to goready it (the waker is a thread outside the runtime, since every M
//       is stopped), and resuming the G before that lands would let it unwind and free
//       the Waiter the waker is still to touch; the driver waits for the status to
//       leave kWaiting, then resumes it.
//     - One that was running (it yielded, or came back from blocking()) reaches
//       abandon_point at the scheduling point it stopped at.
//     Either way the G then throws AbandonUnwind (abandon_point), which unwinds its
//     stack, destructors and defers, up to goroutine_entry, which catches it; the G
//     exits as usual (gexit_finish), giving back its stack.
//     - One that never started never runs its function: goroutine_entry sees
//       `abandoned` and only destroys its frame (the function's captures and arguments).
//     A goroutine already unwinding that blocks again (a destructor that sends on a
//     channel) gets a cancelled park instead of a second exception: gopark returns
//     false and the primitive a neutral result (a failed send, a zero value).
//  5. Everyone out.  sysmon is woken to exit, `exiting` goes true and every idle M is
//     woken: find_runnable returns null, each M leaves schedule() and its thread ends;
//     on the driver, schedule() returns into run() if the driver is m0, else its
//     thread ends too and m0, asleep in stopm, is among those woken.
//  6. Free.  run() (free_runtime) joins sysmon and every M, frees every G record and
//     its stack, every P (timers, stack cache) and every M, reports what teardown left
//     behind (check.hpp: a goroutine still alive, a G still holding a stack), and puts
//     Sched back to its initial state (Sched::reset_run_state), so that run() can be
//     called again.
//
// Rejected: leaving the goroutines parked (their destructors would never run, and a
// second run() would inherit them); running them to completion (a goroutine blocked
// for good would hang run(), and Go never runs them again); preempting an M that does
// not reach a scheduling point (scheduling is cooperative, API.md: a goroutine that
// never yields delays teardown, as it would any other goroutine).
#include <gort/runtime.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gort/detail/spawn.hpp>
#include <gort/detail/unwind.hpp>

#include "check.hpp"
#include "fatal.hpp"
#include "netpoll.hpp"
#include "os.hpp"
#include "proc.hpp"
#include "sysmon.hpp"

namespace gort::detail {

namespace {

constexpr int kMaxProcs = 1024;  // Go's _MaxGomaxprocs on 64-bit
// While the world stops, the driver sleeps on teardown_note, which every M that stops
// wakes; it also rechecks (and breaks the poller again) this often regardless.
constexpr std::int64_t kStopTheWorldRecheckNs = 1000000;

int parse_maxprocs(const Options& opts) {
  if (opts.max_procs < 0)
    throw std::invalid_argument("gort::run: Options.max_procs must be >= 0, got " + std::to_string(opts.max_procs));
  int n = opts.max_procs;
  if (n == 0) {
    if (const char* env = std::getenv("GORT_MAXPROCS"); env != nullptr && *env != '\0') {
      char* end = nullptr;
      long v = std::strtol(env, &end, 10);
      if (*end != '\0' || v < 1)
        throw std::invalid_argument(std::string("gort: GORT_MAXPROCS=\"") + env + "\" is not a positive integer");
      n = static_cast<int>(std::min<long>(v, kMaxProcs));
    } else {
      n = hardware_threads();
    }
  }
  return std::min(n, kMaxProcs);
}

// Options::schedule_seed, else $GORT_SCHEDULE_SEED; 0: off.
std::uint64_t parse_schedule_seed(const Options& opts) {
  if (opts.schedule_seed != 0) return opts.schedule_seed;
  const char* env = std::getenv("GORT_SCHEDULE_SEED");
  if (env == nullptr || *env == '\0') return 0;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(env, &end, 10);
  if (*end != '\0' || errno == ERANGE || !std::isdigit(static_cast<unsigned char>(env[0])))
    throw std::invalid_argument(std::string("gort: GORT_SCHEDULE_SEED=\"") + env +
                                "\" is not an unsigned 64-bit integer (0: off)");
  return v;
}

struct MainFrame {
  void (*fn)(void*, int*);
  void* ctx;
  static void call(void* p, FrameOp op) {
    auto* self = static_cast<MainFrame*>(p);
    if (op == FrameOp::kRun) self->fn(self->ctx, &sched.main_result);
  }
};

// report: what teardown left behind (check.hpp): every goroutine should have ended
// and given its stack back.
void free_runtime(RunReport& report) {
  // sysmon first: a retake in flight may still be starting an M (newm assigns
  // m->thread after publishing m in allm).
  if (sched.sysmon.joinable()) sched.sysmon.join();
  // Nobody else takes sched.lock any more, but the fields it guards are still read and
  // reset under it: one access rule for them, which the compiler checks.
  std::vector<M*> allm;
  {
    LockGuard lk(sched.lock);
    allm = sched.allm;
  }
  for (M* m : allm) {
    if (m->thread.joinable()) m->thread.join();
  }
  trace_finish();  // every M has stopped writing its buffer; the Ms still exist
  {
    LockGuard lk(sched.lock);
    while (GChunk* c = sched.gchunks) {
      std::uint32_t n = c->used.load(std::memory_order_acquire);
      for (std::uint32_t i = 0; i < n; ++i) {
        G* gp = c->at(i);
        const GStatus st = gp->status.load(std::memory_order_relaxed);
        if (st != GStatus::kIdle && st != GStatus::kDead)
          ++report.goroutines_alive;
        else if (gp->stack_lo != nullptr)
          ++report.gs_holding_stacks;
        if (gp->stack_lo != nullptr) stack_free(g_stack(gp));
        gobuf_release(&gp->sched);
        gp->~G();
      }
      sched.gchunks = c->next;
      delete c;
    }
  }
  for (P* p : sched.allp) {
    clear_timers(p);
    p->stackcache.drain();
    delete p;
  }
  for (M* m : allm) delete m;
  {
    LockGuard lk(sched.lock);
    sched.reset_run_state();
  }
  stack_pool_trim();
}

}  // namespace

// ------------------------------------------------------------------- teardown

void begin_teardown(M* m) {
  if (sched.freezing.load(std::memory_order_acquire)) freeze_park();  // the process is ending with a report
  // 1. Stop accepting; wait for go() calls from foreign threads that are in flight.
  sched.teardown_driver = m;
  sched.accepting.store(false, std::memory_order_seq_cst);
  sched.abandoning.store(true, std::memory_order_seq_cst);
  while (sched.foreign_spawning.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  // 2. Stop the world: every other M idle (their goroutines reach a scheduling point),
  // none inside blocking().
  for (;;) {
    {
      LockGuard lk(sched.lock);
      sched.teardown_note.clear();
      if (sched.nmidle == static_cast<std::int32_t>(sched.allm.size()) - 1 &&
          sched.nmsyscall.load(std::memory_order_seq_cst) == 0)
        break;
    }
    netpoll_break();  // the M blocked in the poller is not on the idle list
    sched.teardown_note.sleep_for(kStopTheWorldRecheckNs);
  }
  // 3. The world is stopped.  Queues are now just sets of runnable Gs, all in allgs.
  for (P* p : sched.allp) p->runq.clear();
  {
    LockGuard lk(sched.lock);
    globrunqclear();
  }
  if (m->p == nullptr) acquirep_idle(m);
  // 4. Unwind: resume every G still alive, round after round until none is.
  std::vector<G*> gs;
  for (bool progress = true; progress;) {
    progress = false;
    {
      LockGuard lk(sched.lock);
      gs.clear();
      for_each_g(sched.gchunks, [&](G* gp) { gs.push_back(gp); });
    }
    for (G* gp : gs) {
      GStatus st = gp->status.load(std::memory_order_acquire);
      if (st == GStatus::kIdle || st == GStatus::kDead) continue;
      progress = true;
      gp->abandoned = true;
      if (st == GStatus::kWaiting) {
        if (gp->cancel == nullptr || gp->cancel(gp, gp->cancel_arg)) {
          gp->park_cancelled = true;
          casgstatus(gp, GStatus::kWaiting, GStatus::kRunnable);
        } else {
          // A waker (a thread outside the runtime: every M is stopped) dequeued the G
          // and is about to ready it; resuming the G first would let it unwind and
          // free the Waiter the waker is still to touch.  goready lands soon.
          while (gp->status.load(std::memory_order_acquire) == GStatus::kWaiting) std::this_thread::yield();
        }
      }
      execute(m, gp);
    }
  }
  // 5. Everyone out.  sysmon last: until here a goroutine may still end the process (an
  // unrecovered panic on another M, racing main's return, or a destructor's), and a
  // thread that had already finished unjoined would be a leak to the sanitizers.
  sysmon_wake();
  LockGuard lk(sched.lock);
  sched.exiting.store(true, std::memory_order_seq_cst);
  for (M* other = sched.midle; other != nullptr; other = other->schedlink) other->park.wakeup();
}

// The first scheduling point an abandoned goroutine reaches after teardown began,
// unless it is already unwinding (then blocking calls return neutral results instead,
// since a destructor cannot throw a second exception).
void abandon_point(G* gp) {
  if (!gp->unwinding && std::uncaught_exceptions() == 0) {
    gp->unwinding = true;
    throw AbandonUnwind{};
  }
}

bool run_abandoning() noexcept { return sched.abandoning.load(std::memory_order_acquire); }

// --------------------------------------------------------------------- run

// The whole of a run (gort::run): start the runtime on the calling thread, which
// becomes m0, run main as goroutine 1 on it, and when schedule() returns (teardown
// done, step 5), free everything (step 6).
int run_main(void (*fn)(void*, int*), void* ctx, const Options& opts) {
  if (getm() != nullptr) throw std::logic_error("gort::run: called from inside gort::run (nested run)");
  bool expected = false;
  if (!sched.running.compare_exchange_strong(expected, true, std::memory_order_seq_cst))
    throw std::logic_error("gort::run: another gort::run is active in this process");
  int procs;
  std::size_t stack_size;
  std::uint64_t seed;
  try {
    procs = parse_maxprocs(opts);
    stack_size = stack_size_for(opts.stack_size);
    seed = parse_schedule_seed(opts);
  } catch (...) {
    sched.running.store(false);
    throw;
  }
  RunReport report;
  start_run_report(report);
  install_stack_overflow_handler();
  ensure_signal_stack();
  sched.gomaxprocs = procs;
  sched.stack_size = stack_size;
  sched.schedule_seed.store(seed, std::memory_order_relaxed);
  sched.randomize.store(seed != 0, std::memory_order_relaxed);
  sched.start_ns = nanotime();
  sched_init_env(opts.hog_warn);
  trace_start();
  M* m0 = new M;
  m0->is_m0 = true;
  m0->fastrand = 0x2545F491u;
  m0->tid = os_thread_id();
  m0->eh = this_thread_eh();
  setm(m0);
  {
    LockGuard lk(sched.lock);
    m0->id = sched.mnext++;
    sched.allm.push_back(m0);
  }
  procresize(m0, procs, seed);
  sched.accepting.store(true, std::memory_order_seq_cst);
  // Before the main goroutine exists: no user code runs while sysmon_start measures
  // the threads that are not the runtime's (sanitizer builds).
  sysmon_start();
  // The main goroutine, id 1.
  SpawnSlot slot = newproc_reserve(sizeof(MainFrame), alignof(MainFrame));
  ::new (slot.frame) MainFrame{fn, ctx};
  slot.g->is_main = true;
  newproc_commit(slot, &MainFrame::call, CallSite{"gort::run", "main", 0});
  schedule(m0);
  // Every goroutine has ended; every M has left its loop.
  setm(nullptr);
  int result = sched.main_result;
  free_runtime(report);
  sched.running.store(false, std::memory_order_seq_cst);
  finish_run_report(report);
  return result;
}

}  // namespace gort::detail
