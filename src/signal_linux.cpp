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
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "gobuf.hpp"
#include "os.hpp"
#include "runtime2.hpp"

namespace gort::detail {
namespace {

constexpr std::size_t kAltStackMin = 64 * 1024;

struct sigaction g_prev_segv;
struct sigaction g_prev_bus;

void report_overflow(std::size_t limit) {
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
    const char* fn = gp->created_function.load(std::memory_order_relaxed);
    if (fn != nullptr && gp->goid != 1) {
      write_stderr("created by ");
      write_stderr(fn);
      write_stderr("\n\t");
      const char* file = gp->created_file.load(std::memory_order_relaxed);
      write_stderr(file != nullptr ? file : "?");
      write_stderr(":");
      write_stderr_u64(gp->created_line.load(std::memory_order_relaxed));
      write_stderr("\n");
    }
  } else {
    write_stderr("coroutine [running]:\n");
  }
}

[[maybe_unused]] void on_fault(int sig, siginfo_t* info, void* uctx) {
  std::size_t usable = 0;
  if (info != nullptr && stack_guard_hit(info->si_addr, &usable)) {
    report_overflow(usable);
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
  report_overflow(g->stack_size);
  _exit(2);
}

}  // namespace gort::detail
