// sysmon.cpp -- sysmon, the deadlock check, schedtrace.
//
// sysmon is one thread outside the G-M-P model (it holds no P).  Its one job for the
// scheduler: a goroutine inside blocking() keeps its M but gives up its P's right to
// run; if the call lasts more than kSyscallRetake, sysmon takes the P back (CAS
// kSyscall -> kIdle, racing the M's own exitsyscall) and hands it to another M, so a
// blocking call never stalls runnable goroutines (Go's retake).
//
// It backs off as Go's does -- 20 us between looks while it is finding work, doubling
// after 1 ms of nothing up to 10 ms -- and, unlike Go's, sleeps without any timeout
// when no M is inside blocking() and no party waits for I/O: entersyscall and the
// first I/O wait wake it.  An idle process is never woken periodically.  It polls the
// network when no M did for 10 ms (Go's sysmon does too): idle Ms poll first, but
// goroutines that keep every P busy must not hold ready I/O back.  (Go's sysmon also
// preempts; gort's scheduling is cooperative.)
//
// The hog detector (GORT_HOGWARN=<ms>, Options::hog_warn; default 10 ms, 0: off).
// Scheduling is cooperative, so a goroutine that computes for long without a
// scheduling point, or makes a blocking system call outside blocking(), holds its P
// while other goroutines wait for it.  sysmon sees it as Go's retake sees a goroutine
// to preempt: each P's schedtick, incremented at every execute, unchanged since
// sysmon's earlier look (P.sysmon_schedtick, .sysmon_schedwhen) means one goroutine
// has run since then.  Past the threshold, if work waits (the P's queue, the global
// queue, or a due timer on its heap), sysmon asks the P's M for its frames (SIGURG,
// see MSample) and prints one warning per goroutine: who, for how long, what waits,
// its frames and where it was created, with the advice.  The hot path pays nothing
// more than schedtick's store.  While the detector is on and some P is not idle,
// sysmon keeps ticking (backing off to 10 ms); when every P is idle it sleeps without
// a timeout as before, and the first P to leave the idle list wakes it (pidleget).
//
// sysmon is also the stacks' scavenger (stack.cpp): each tick returns a few batches
// of pooled stacks that sat unused for a whole period, and while some pool holds
// stacks beyond its warm set sysmon keeps ticking; a pool that grows far beyond it
// wakes a sleeping sysmon.  So the madvise that returns a burst's memory runs on this
// thread, never on a P.
//
// checkdead runs whenever an M goes idle.  The rule: "all goroutines are asleep"
// when every M is idle (none running a goroutine, none inside blocking()), and no
// thread outside the runtime could still act: every OS thread of the process is an M,
// sysmon, or a thread asleep in a gort primitive (a thread that could still call go()
// or send on a channel might wake a goroutine).  Threads that existed before the first
// run() in a sanitizer build are taken to be the sanitizer's own and are not counted.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <unordered_set>

#include "fatal.hpp"
#include "funcname.hpp"
#include "netpoll.hpp"
#include "proc.hpp"
#include "sanitizers.hpp"
#include "stack.hpp"
#include "sysmon.hpp"
#include "throwtrace.hpp"

namespace gort::detail {
namespace {

constexpr std::int64_t kSysmonMinDelay = 20 * 1000;         // Go: 20 us
constexpr std::int64_t kSysmonMaxDelay = 10 * 1000 * 1000;  // Go: 10 ms
constexpr int kSysmonIdleRounds = 50;                       // Go: double the delay after 1 ms of nothing
constexpr std::int64_t kSyscallRetake = 20 * 1000;          // ~one sysmon tick, as in Go
constexpr std::int64_t kSyscallRetakeIdle = 10 * 1000 * 1000;  // Go: keep the P 10 ms when nobody needs it
constexpr std::int64_t kSysmonPollEvery = 10 * 1000 * 1000;    // Go: poll if not polled for more than 10 ms
// Go's forcePreemptNS.  Off by default in sanitizer builds: they run code several
// times slower, and their test suites run many programs at once on few cores, so a
// goroutine that is merely slowed down would be reported; GORT_HOGWARN or
// Options::hog_warn turns the detector on there.
constexpr std::int64_t kHogWarnDefault = GORT_ASAN || GORT_TSAN ? 0 : 10 * 1000 * 1000;
constexpr std::int64_t kSampleTimeout = 100 * 1000 * 1000;      // a thread answers a sample in microseconds

int retake(std::int64_t now) {
  int n = 0;
  for (P* p : sched.allp) {
    if (p->status.load(std::memory_order_acquire) != PStatus::kSyscall) continue;
    std::int64_t since = now - p->syscallwhen.load(std::memory_order_relaxed);
    if (since < kSyscallRetake) continue;
    // Nothing waits for this P and others are free: let the call keep it a while.
    if (p->runq.empty() && sched.runq_size.load(std::memory_order_relaxed) == 0 &&
        p->timers.when0.load(std::memory_order_relaxed) == 0 &&
        sched.nmspinning.load(std::memory_order_seq_cst) + sched.npidle.load(std::memory_order_seq_cst) > 0 &&
        since < kSyscallRetakeIdle)
      continue;
    PStatus expected = PStatus::kSyscall;
    if (p->status.compare_exchange_strong(expected, PStatus::kIdle, std::memory_order_acq_rel)) {
      sched.handoffs.fetch_add(1, std::memory_order_relaxed);
      handoffp(p);
      ++n;
    }
  }
  return n;
}

// Polls the network if nobody did for kSysmonPollEvery (every M busy running
// goroutines, none idle to block in the poller): ready I/O is not held up by them.
bool poll_network(std::int64_t now) {
  if (netpoll_waiters() == 0) return false;
  std::int64_t last = netpoll_lastpoll.load(std::memory_order_seq_cst);
  if (last == 0 || now - last < kSysmonPollEvery) return false;  // 0: an M is blocked in it
  if (!netpoll_lastpoll.compare_exchange_strong(last, now, std::memory_order_seq_cst)) return false;
  GList ready = netpoll(0);
  const std::int32_t n = ready.n;
  if (n == 0) return false;
  injectglist(ready);
  netpoll_injected(n);
  return true;
}

// Goroutines warned about in this run (sysmon only): once per goroutine.
std::unordered_set<std::uint64_t> g_hog_warned;

// Whether sysmon must tick for the hog detector: some P is not idle.
bool hog_watch() {
  return sched.hogwarn_ns != 0 && sched.npidle.load(std::memory_order_seq_cst) < sched.gomaxprocs;
}

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The warning for P p, whose goroutine has run `ran` ns; `s` is its M's answer (null:
// no answer, so neither its id nor its frames).
void warn_hog(P* p, std::int64_t ran, std::int64_t timer_late, const MSample* s) {
  // Counted first: symbolizing the frames the first time reads the debug information
  // (hundreds of milliseconds), which the hog may outlast.
  sched.hogs.fetch_add(1, std::memory_order_relaxed);
  std::int64_t waiting = static_cast<std::int64_t>(p->runq.size()) + sched.runq_size.load(std::memory_order_relaxed);
  std::string out = s != nullptr ? "gort: goroutine " + std::to_string(s->goid) : std::string("gort: a goroutine");
  out += " has run for " + std::to_string(ran / 1000000) + " ms without a scheduling point (P " + std::to_string(p->id) +
         ") while " + plural(waiting, "goroutine waits", "goroutines wait") + " to run";
  if (timer_late > 0) out += " and a timer is " + std::to_string(timer_late / 1000000) + " ms overdue";
  out += "\n\n";
  if (s != nullptr) {
    out += "goroutine " + std::to_string(s->goid) + " [running]:\n";
    append_frames(out, s->pcs, s->n);
    if (s->created_function != nullptr && s->goid != 1) {
      char name[kFunctionNameMax];
      function_display_name(s->created_function, name, sizeof name);
      out += "created by " + std::string(name);
      if (s->parent_goid != 0) out += " in goroutine " + std::to_string(s->parent_goid);
      out += "\n\t" + std::string(s->created_file != nullptr ? s->created_file : "?") + ":" +
             std::to_string(s->created_line) + "\n";
    }
    out += "\n";
  }
  out +=
      "gort: scheduling is cooperative: call gort::yield() in long loops, and wrap calls that block the thread "
      "in gort::blocking(); GORT_HOGWARN=<ms> sets this threshold, 0 turns the warning off\n";
  write_stderr(out.data(), out.size());
}

void check_hogs(std::int64_t now) {
  for (P* p : sched.allp) {
    if (p->status.load(std::memory_order_acquire) != PStatus::kRunning) {
      p->sysmon_schedwhen = 0;
      continue;
    }
    std::uint32_t tick = p->schedtick.load(std::memory_order_relaxed);
    if (tick != p->sysmon_schedtick || p->sysmon_schedwhen == 0) {
      p->sysmon_schedtick = tick;
      p->sysmon_schedwhen = now;
      continue;
    }
    if (p->sysmon_schedwhen < 0) continue;  // this run was dealt with
    std::int64_t ran = now - p->sysmon_schedwhen;
    if (ran < sched.hogwarn_ns) continue;
    std::int64_t when0 = p->timers.when0.load(std::memory_order_relaxed);
    std::int64_t timer_late = when0 != 0 && when0 <= now ? now - when0 : 0;
    if (p->runq.empty() && sched.runq_size.load(std::memory_order_relaxed) == 0 && timer_late == 0) continue;
    std::unique_lock<std::timed_mutex> lk(sched.sample_lock, std::try_to_lock);
    if (!lk.owns_lock()) continue;  // a dump is sampling: next tick
    M* m = p->m.load(std::memory_order_acquire);
    if (m == nullptr) continue;
    if (sample_request(m) && sample_wait(m, nanotime() + kSampleTimeout)) {
      const MSample& s = m->sample;
      // The answer is about this run of this P's goroutine, not a later one.
      if (s.p == p->id && s.schedtick == tick && s.goid != 0 && g_hog_warned.insert(s.goid).second)
        warn_hog(p, ran, timer_late, &s);
      sample_release(m);
    } else {
      warn_hog(p, ran, timer_late, nullptr);  // the thread did not answer, or no sampling signal (TSan)
    }
    p->sysmon_schedwhen = -1;
  }
}

void schedtrace(std::int64_t now) {
  LockGuard lk(sched.lock);
  int spinning = sched.nmspinning.load();
  std::fprintf(stderr, "SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%zu spinningthreads=%d idlethreads=%d runqueue=%d [",
               static_cast<long long>((now - sched.start_ns) / 1000000), sched.gomaxprocs, sched.npidle.load(),
               sched.allm.size(), spinning, sched.nmidle, sched.runq_size.load());
  for (std::size_t i = 0; i < sched.allp.size(); ++i)
    std::fprintf(stderr, "%s%u", i == 0 ? "" : " ", sched.allp[i]->runq.size());
  std::fprintf(stderr, "]\n");
}

void sysmon_main() {
  int idle = 0;
  std::int64_t delay = kSysmonMinDelay;
  std::int64_t last_trace = nanotime();
  g_hog_warned.clear();
  while (!sched.sysmon_exit.load(std::memory_order_acquire)) {
    if (sigquit_pending()) {
      freezetheworld();
      std::fflush(stdout);
      write_stderr("SIGQUIT: quit\n\n");
      dump_all_goroutines(true);
      exit_process(2);
    }
    if (idle == 0)
      delay = kSysmonMinDelay;
    else if (idle > kSysmonIdleRounds)
      delay = std::min(delay * 2, kSysmonMaxDelay);
    if (sched.schedtrace_ns > 0) delay = std::min(delay, sched.schedtrace_ns);
    if (sched.hogwarn_ns > 0) delay = std::min(delay, sched.hogwarn_ns);
    sched.sysmon_note.sleep_for(delay);
    sched.sysmon_note.clear();
    if (sched.sysmon_exit.load(std::memory_order_acquire)) break;
    if (sched.nmsyscall.load(std::memory_order_seq_cst) == 0 && sched.schedtrace_ns == 0 && netpoll_waiters() == 0 &&
        !hog_watch() && !stack_scavenge_pending()) {
      // Nothing to watch: sleep until entersyscall, an I/O wait, a P going to work
      // (or teardown) wakes us.
      sched.sysmon_wait.store(true, std::memory_order_seq_cst);
      if (sched.nmsyscall.load(std::memory_order_seq_cst) == 0 && netpoll_waiters() == 0 && !hog_watch() &&
          !stack_scavenge_pending() && !sched.sysmon_exit.load() && !sigquit_pending())
        sched.sysmon_note.sleep();
      sched.sysmon_wait.store(false, std::memory_order_seq_cst);
      sched.sysmon_note.clear();
      idle = 0;
      continue;
    }
    std::int64_t now = nanotime();
    const bool abandoning = sched.abandoning.load(std::memory_order_acquire);
    if (!abandoning && (retake(now) > 0 || poll_network(now)))
      idle = 0;
    else
      ++idle;
    if (!abandoning && sched.hogwarn_ns != 0) check_hogs(now);
    if (!abandoning) stack_scavenge(now);
    if (sched.schedtrace_ns > 0 && now - last_trace >= sched.schedtrace_ns) {
      schedtrace(now);
      last_trace = now;
    }
  }
}

}  // namespace

void sched_init_env(int hog_warn_ms) {
  sched.hogwarn_ns = kHogWarnDefault;
  if (hog_warn_ms != 0) {
    sched.hogwarn_ns = hog_warn_ms > 0 ? std::int64_t{hog_warn_ms} * 1000000 : 0;
  } else if (const char* env = std::getenv("GORT_HOGWARN"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    long ms = std::strtol(env, &end, 10);
    if (*end == '\0' && ms >= 0) sched.hogwarn_ns = ms * 1000000;  // 0: off; anything else unparsable: the default
  }
  sched.hogs.store(0, std::memory_order_relaxed);
  sched.schedtrace_ns = 0;
  if (const char* env = std::getenv("GORT_SCHEDTRACE"); env != nullptr && *env != '\0') {
    long ms = std::atol(env);
    if (ms > 0) sched.schedtrace_ns = ms * 1000000;
  }
}

void sysmon_start() {
  (void)os_thread_count();  // its descriptor, while the program still has descriptors to spare
  install_sigquit_dump();
  install_sample_handler();
  try {
    sched.sysmon = std::thread(sysmon_main);
  } catch (const std::system_error& e) {
    fatal_newosproc(e.code().value(), sched.allm.size());
  } catch (const std::bad_alloc&) {
    fatal_newosproc(ENOMEM, sched.allm.size());
  }
#if GORT_ASAN || GORT_TSAN
  // The sanitizer's own threads (TSan starts one with the first pthread_create, which
  // has happened by now) are not threads that could wake a goroutine.  Measured once
  // per process, at the first run(), before the main goroutine exists (so before any
  // of the user's threads started inside run()): threads beyond the runtime's own.
  static const int baseline = [] {
    LockGuard lk(sched.lock);
    return os_thread_count() - static_cast<int>(sched.allm.size()) - 1;
  }();
  sched.baseline_threads = baseline > 0 ? baseline : 0;
#endif
}

void sysmon_wake() {
  remove_sigquit_dump();
  sched.sysmon_exit.store(true, std::memory_order_seq_cst);
  sched.sysmon_note.wakeup();
}

void sysmon_notify_work() {
  if (sched.sysmon_wait.load(std::memory_order_seq_cst) && sched.sysmon_wait.exchange(false))
    sched.sysmon_note.wakeup();
}

void checkdead_locked() {
  if (!sched.accepting.load(std::memory_order_relaxed) || sched.abandoning.load(std::memory_order_relaxed)) return;
  const auto nm = static_cast<std::int32_t>(sched.allm.size());
  // The M blocked in the poller runs nothing: idle, like those on the idle list (the
  // timers and I/O waiters it waits for are checked below).
  const std::int32_t polling = sched.timer_sleeper != nullptr && sched.timer_sleeper->sleeps_in_netpoll ? 1 : 0;
  if (nm - sched.nmidle - polling > 0) return;  // an M is running a goroutine or inside blocking()
  if (sched.runq_size.load(std::memory_order_relaxed) > 0) return;
  for (P* p : sched.allp)
    if (!p->runq.empty()) return;
  if (any_timers()) return;  // a timer will wake some goroutine (or at least fire)
  if (netpoll_waiters() > 0) return;  // waiting on the world outside: not a deadlock
  // Could a thread outside the runtime still act?
  int threads = os_thread_count();
  int accounted = nm + 1 /* sysmon */ + sched.nthread_waiters.load(std::memory_order_seq_cst) + sched.baseline_threads;
  if (threads < 0 || threads > accounted) return;
  if (sched.main_goexited && count_goroutines() == 0) fatal("no goroutines (main called runtime.Goexit) - deadlock!", true);
  fatal("all goroutines are asleep - deadlock!", true);
}

}  // namespace gort::detail
