// signal_linux.cpp -- stack overflow reporting on Linux.
//
// A goroutine or coroutine that runs off its stack touches the guard region below it
// (stack.cpp) and the kernel raises SIGSEGV.  The handler runs on an alternate signal
// stack -- the faulting stack has no room left -- checks whether the address lies in
// a guard region, and if so prints Go's report and exits with status 2:
//
//   runtime: goroutine stack exceeds 262144-byte limit
//   fatal error: stack overflow
//
//   goroutine 7 [running]:
//   created by ...
//
// Any other fault goes to the handler that was installed before ours, or gets the
// default action (a core dump), untouched.  Only async-signal-safe calls here.
// Sanitizer builds keep their own SEGV handler, whose report stands in for this one.
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "fatal.hpp"
#include "funcname.hpp"
#include "gobuf.hpp"
#include "os.hpp"
#include "runtime2.hpp"
#include "sanitizers.hpp"
#include "throwtrace.hpp"

namespace gort::detail {
namespace {

// The overflow report symbolizes on the alternate stack (libbacktrace, demangling):
// more than the 64 KiB that the bare report needed.  Address space only: pages are
// committed when touched.
constexpr std::size_t kAltStackMin = 256 * 1024;
// Frames of an overflowing goroutine: the deepest and the outermost, with Go's
// "...additional frames elided..." between (Go prints 50 and 50; a recursion repeats
// one frame, so fewer say as much).
constexpr std::uint32_t kOverflowTopFrames = 16;
constexpr std::uint32_t kOverflowBottomFrames = 8;
// A report that hangs (symbolizing after a fault inside malloc) ends the process anyway.
constexpr unsigned kOverflowReportSeconds = 10;

struct sigaction g_prev_segv;
struct sigaction g_prev_bus;

// The frames of the stack a signal interrupted, from inside its handler: libgcc's
// unwinder walks through the kernel's signal frame (it marks the interrupted frame as
// such: _Unwind_GetIPInfo's ip_before_insn); the handler's own frames before it are
// skipped.  The interrupted pc is exact, not a return address: it is stored + 1, as
// print_frames takes every pc for a return address.  Lock-free on glibc >= 2.35
// (_dl_find_object), which libgcc >= 12 uses to find unwind tables.
struct OverflowWalk {
  bool found = false;      // past the signal frame
  std::uint64_t total = 0; // frames seen past it
  std::uintptr_t top[kOverflowTopFrames];
  std::uintptr_t bottom[kOverflowBottomFrames];  // a ring: the outermost frames
};

_Unwind_Reason_Code overflow_frame(_Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<OverflowWalk*>(arg);
  int before = 0;
  std::uintptr_t ip = _Unwind_GetIPInfo(ctx, &before);
  if (!w->found) {
    if (before == 0) return _URC_NO_REASON;
    w->found = true;
    ip += 1;
  }
  if (w->total < kOverflowTopFrames)
    w->top[w->total] = ip;
  else
    w->bottom[(w->total - kOverflowTopFrames) % kOverflowBottomFrames] = ip;
  ++w->total;
  return _URC_NO_REASON;
}

void print_overflow_frames() {
  OverflowWalk w;
  _Unwind_Backtrace(overflow_frame, &w);
  if (w.total <= kOverflowTopFrames) {
    print_frames(w.top, static_cast<std::uint32_t>(w.total));
    return;
  }
  print_frames(w.top, kOverflowTopFrames);
  std::uint64_t rest = w.total - kOverflowTopFrames;
  std::uintptr_t bottom[kOverflowBottomFrames];
  std::uint32_t n = 0;
  if (rest <= kOverflowBottomFrames) {
    for (; n < rest; ++n) bottom[n] = w.bottom[n];
  } else {
    write_stderr("...additional frames elided...\n");
    for (std::uint64_t i = rest - kOverflowBottomFrames; i < rest; ++i) bottom[n++] = w.bottom[i % kOverflowBottomFrames];
  }
  print_frames(bottom, n);
}

void print_stack_size_hint(std::size_t limit) {
  write_stderr("\ngort: stacks are ");
  write_stderr_u64(limit);
  write_stderr(" bytes: GORT_STACK_SIZE=<bytes, k, m or g> or Options::stack_size sets another size\n");
}

// frames: the handler runs on the alternate stack after the fault, so the overflowing
// stack can be walked (not so for a canary found at a switch).
void report_overflow(std::size_t limit, bool frames) {
  G* gp = getg();
  write_stderr("runtime: ");
  write_stderr(gp != nullptr ? "goroutine" : "coroutine");
  write_stderr(" stack exceeds ");
  write_stderr_u64(limit);
  write_stderr("-byte limit\nfatal error: stack overflow\n\n");
  if (gp != nullptr) {
    write_stderr("goroutine ");
    write_stderr_u64(gp->goid);
    write_stderr(" [running]:\n");
    if (frames) print_overflow_frames();
    const char* fn = gp->created_function.load(std::memory_order_relaxed);
    if (fn != nullptr && gp->goid != 1) {
      char name[kFunctionNameMax];
      function_display_name(fn, name, sizeof name);
      write_stderr("created by ");
      write_stderr(name);
      write_stderr("\n\t");
      const char* file = gp->created_file.load(std::memory_order_relaxed);
      write_stderr(file != nullptr ? file : "?");
      write_stderr(":");
      write_stderr_u64(gp->created_line.load(std::memory_order_relaxed));
      write_stderr("\n");
    }
  } else {
    write_stderr("coroutine [running]:\n");
    if (frames) print_overflow_frames();
  }
  print_stack_size_hint(limit);
  write_schedule_seed();
}

[[maybe_unused]] void on_fault(int sig, siginfo_t* info, void* uctx) {
  std::size_t usable = 0;
  if (info != nullptr && stack_guard_hit(info->si_addr, &usable)) {
    alarm(kOverflowReportSeconds);
    report_overflow(usable, true);
    _exit(2);
  }
  const struct sigaction& prev = sig == SIGSEGV ? g_prev_segv : g_prev_bus;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, uctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: returning re-executes the faulting instruction, which now dies.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
}

struct AltStack {
  void* mem = nullptr;
  std::size_t size = 0;
  ~AltStack() { release(); }
  void release() {
    if (mem == nullptr) return;
    stack_t ss = {};
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, nullptr);
    munmap(mem, size);
    mem = nullptr;
  }
};
thread_local AltStack tls_altstack;

}  // namespace

void install_stack_overflow_handler() {
#if !GORT_ASAN && !GORT_TSAN
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa = {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);
  });
#endif
}

__attribute__((noinline)) void ensure_signal_stack() {
#if !GORT_ASAN && !GORT_TSAN
  AltStack& alt = tls_altstack;
  if (alt.mem != nullptr) return;
  stack_t old = {};
  if (sigaltstack(nullptr, &old) == 0 && (old.ss_flags & SS_DISABLE) == 0) return;  // the thread has one
  long min = sysconf(_SC_SIGSTKSZ);
  std::size_t size = std::max<std::size_t>(kAltStackMin, min > 0 ? static_cast<std::size_t>(min) : 0);
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;  // no report on overflow, but nothing else breaks
  stack_t ss = {};
  ss.ss_sp = mem;
  ss.ss_size = size;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(mem, size);
    return;
  }
  alt.mem = mem;
  alt.size = size;
#endif
}

__attribute__((noinline)) void release_signal_stack() { tls_altstack.release(); }

}  // namespace gort::detail

namespace gort::detail {
namespace {
std::atomic<bool> g_sigquit{false};
struct sigaction g_prev_quit;
bool g_quit_installed = false;

void on_sigquit(int) {
  g_sigquit.store(true, std::memory_order_release);
  sched.sysmon_note.wakeup();  // an atomic exchange and a futex wake: async-signal-safe
}
}  // namespace

void install_sigquit_dump() {
  const char* env = std::getenv("GORT_SIGQUIT");
  if (env == nullptr || *env == '\0' || std::strcmp(env, "0") == 0) return;
  struct sigaction sa = {};
  sa.sa_handler = on_sigquit;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  g_quit_installed = sigaction(SIGQUIT, &sa, &g_prev_quit) == 0;
}

void remove_sigquit_dump() {
  if (g_quit_installed) sigaction(SIGQUIT, &g_prev_quit, nullptr);
  g_quit_installed = false;
}

bool sigquit_pending() { return g_sigquit.load(std::memory_order_acquire); }

}  // namespace gort::detail

namespace gort::detail {

// gobuf_switch found the canary of an unguarded stack overwritten: the context that
// is being switched away from overflowed (stack.cpp, GuardMode::kCanary).
void stack_overflow_canary(const Gobuf* g) {
  report_overflow(g->stack_size, false);
  _exit(2);
}

}  // namespace gort::detail

// ---------------------------------------------------------------- sampling
//
// sysmon (the hog detector) and the dumps ask an M's thread what it is running: the
// sampler moves m->sample to kRequested and sends SIGURG to the thread (Go's
// preemption signal: the one least likely to matter to the program, which keeps its
// own SIGURG handler for any signal not asked for).  The handler, on the thread
// itself, reads the M's goroutine and P without a race and records the interrupted
// frames.  A blocking system call in progress (read on a pipe) is restarted
// (SA_RESTART) or returns EINTR, as with Go's preemption signals.
extern "C" char gort_swap_context_end[];  // asm_<arch>.S: where gort_swap_context (gobuf.hpp) ends

namespace gort::detail {
namespace {

struct sigaction g_prev_urg;

// The walk stays inside the goroutine's stack: the signal may land inside a context
// switch (gort_swap_context), whose unwind rules describe the stack it is leaving,
// and a frame outside the stack would send the unwinder to read anywhere.
struct SampleWalk {
  MSample* s;
  std::uintptr_t lo, hi;           // the goroutine's stack
  std::int32_t signal_frame = -1;  // index of the interrupted frame
};

_Unwind_Reason_Code sample_frame(_Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<SampleWalk*>(arg);
  if (w->s->n == MSample::kFrames) return _URC_END_OF_STACK;
  int before = 0;
  std::uintptr_t ip = _Unwind_GetIPInfo(ctx, &before);
  if (before != 0 && w->signal_frame < 0) {
    w->signal_frame = static_cast<std::int32_t>(w->s->n);
    ip += 1;  // exact: print_frames subtracts 1 from return addresses
  }
  if (w->signal_frame >= 0) {
    std::uintptr_t cfa = _Unwind_GetCFA(ctx);
    if (cfa <= w->lo || cfa > w->hi) return _URC_END_OF_STACK;
  }
  w->s->pcs[w->s->n++] = ip;
  return _URC_NO_REASON;
}

void chain_urg(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& prev = g_prev_urg;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr)
    prev.sa_sigaction(sig, info, uctx);
  else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr)
    prev.sa_handler(sig);
}

// Where the signal interrupted the thread.
std::uintptr_t interrupted_pc(void* uctx) {
  auto* uc = static_cast<ucontext_t*>(uctx);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.pc);
#endif
}

void on_sample(int sig, siginfo_t* info, void* uctx) {
  const int saved_errno = errno;
  M* m = getm();
  std::uint32_t expected = MSample::kRequested;
  if (m == nullptr || !m->sample.state.compare_exchange_strong(expected, MSample::kWriting, std::memory_order_acquire)) {
    chain_urg(sig, info, uctx);  // not ours
    errno = saved_errno;
    return;
  }
  MSample& s = m->sample;
  G* gp = m->curg;
  P* p = m->p;
  s.goid = gp != nullptr ? gp->goid : 0;
  s.p = p != nullptr ? p->id : -1;
  s.schedtick = p != nullptr ? p->schedtick.load(std::memory_order_relaxed) : 0;
  s.created_function = gp != nullptr ? gp->created_function.load(std::memory_order_relaxed) : nullptr;
  s.created_file = gp != nullptr ? gp->created_file.load(std::memory_order_relaxed) : nullptr;
  s.created_line = gp != nullptr ? gp->created_line.load(std::memory_order_relaxed) : 0;
  s.parent_goid = gp != nullptr ? gp->parent_goid.load(std::memory_order_relaxed) : 0;
  s.n = 0;
  const std::uintptr_t pc = interrupted_pc(uctx);
  const bool switching = pc >= reinterpret_cast<std::uintptr_t>(&gort_swap_context) &&
                         pc < reinterpret_cast<std::uintptr_t>(gort_swap_context_end);
  if (gp != nullptr && gp->stack_lo != nullptr && !switching) {
    auto lo = reinterpret_cast<std::uintptr_t>(gp->stack_lo);
    SampleWalk w{&s, lo, lo + sched.stack_size};
    _Unwind_Backtrace(sample_frame, &w);
    // Without a signal frame (a sanitizer that runs handlers later, from its own
    // code) everything but this handler is kept.
    std::uint32_t from = w.signal_frame >= 0 ? static_cast<std::uint32_t>(w.signal_frame) : std::min<std::uint32_t>(1, s.n);
    std::memmove(s.pcs, s.pcs + from, (s.n - from) * sizeof s.pcs[0]);
    s.n -= from;
  }
  s.state.store(MSample::kDone, std::memory_order_release);
  futex_wake(&s.state, 1);
  errno = saved_errno;
}

}  // namespace

// Under TSan there is no sampling signal: TSan runs an asynchronous signal's handler
// only at the thread's next intercepted call (a computing loop may never make one),
// from TSan's own frame, with the interrupted context of the signal's arrival; the
// frames recorded would be those of some later call, not what the thread was
// running.  Without the signal, hog warnings and dumps of running goroutines come
// without frames (sample_request returns false).
void install_sample_handler() {
  if constexpr (GORT_TSAN) return;
  static std::once_flag once;
  std::call_once(once, [] {
    // Loads libgcc's unwinder now, not inside the first handler (dlopen is not
    // async-signal-safe).
    _Unwind_Backtrace([](_Unwind_Context*, void*) { return _URC_END_OF_STACK; }, nullptr);
    struct sigaction sa = {};
    sa.sa_sigaction = on_sample;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, &g_prev_urg);
  });
}

bool sample_request(M* m) {
  if constexpr (GORT_TSAN) return false;  // see install_sample_handler
  std::uint32_t expected = MSample::kIdle;
  if (!m->sample.state.compare_exchange_strong(expected, MSample::kRequested, std::memory_order_relaxed)) return false;
  if (m->tid == 0 || syscall(SYS_tgkill, getpid(), static_cast<pid_t>(m->tid), SIGURG) != 0) {
    m->sample.state.store(MSample::kIdle, std::memory_order_relaxed);
    return false;
  }
  return true;
}

bool sample_wait(M* m, std::int64_t deadline) {
  std::atomic<std::uint32_t>& st = m->sample.state;
  for (;;) {
    std::uint32_t v = st.load(std::memory_order_acquire);
    if (v == MSample::kDone) return true;
    std::int64_t left = deadline - nanotime();
    if (left <= 0 || v == MSample::kIdle) break;
    futex_wait(&st, v, left);
  }
  std::uint32_t expected = MSample::kRequested;
  if (st.compare_exchange_strong(expected, MSample::kIdle, std::memory_order_relaxed)) return false;
  // The handler is writing: it finishes in microseconds.
  while (st.load(std::memory_order_acquire) == MSample::kWriting) cpu_relax();
  return st.load(std::memory_order_acquire) == MSample::kDone;
}

void sample_release(M* m) { m->sample.state.store(MSample::kIdle, std::memory_order_release); }

}  // namespace gort::detail
