// check.cpp -- the debug-checks tier's report and the live counts (design: check.hpp).
#include "check.hpp"

#include <cstdarg>
#include <cstdio>

#include "fatal.hpp"
#include "proc.hpp"
#include "stack.hpp"

namespace gort::detail {

std::atomic<std::int64_t> g_live[static_cast<int>(LiveKind::kCount)];

namespace {
std::atomic<RunEndHook> g_run_end_hook{nullptr};
}  // namespace

void check_failed(bool sched_locked, const char* file, int line, const char* cond, const char* fmt, ...) {
  // One message, built before fatal() takes over stderr: "<what was found> (<check>
  // at file:line)".  Static: the process is ending, and a second failure waits in
  // fatal() for the first report.
  static char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (cond != nullptr && static_cast<std::size_t>(n) < sizeof msg)
    std::snprintf(msg + n, sizeof msg - static_cast<std::size_t>(n), " (check %s failed at %s:%d)", cond, file, line);
  fatal(msg, sched_locked);
}

const char* gstatus_string(GStatus s) {
  switch (s) {
    case GStatus::kIdle: return "idle";
    case GStatus::kRunnable: return "runnable";
    case GStatus::kRunning: return "running";
    case GStatus::kSyscall: return "syscall";
    case GStatus::kWaiting: return "waiting";
    case GStatus::kDead: return "dead";
  }
  return "?";
}

void casgstatus_failed(const G* gp, GStatus found, GStatus from, GStatus to) {
  check_failed(false, nullptr, 0, nullptr, "casgstatus: goroutine %llu: status %s, expected %s, to %s",
               static_cast<unsigned long long>(gp->goid), gstatus_string(found), gstatus_string(from),
               gstatus_string(to));
}

void set_run_end_hook(RunEndHook hook) noexcept { g_run_end_hook.store(hook, std::memory_order_release); }

namespace {
std::int64_t stacks_outside_pool() {
  const StackStats s = stack_stats();
  return static_cast<std::int64_t>(s.reserved) - static_cast<std::int64_t>(s.pooled);
}
}  // namespace

void start_run_report(RunReport& report) {
  report.stacks_out = -stacks_outside_pool();
  for (int k = 0; k < static_cast<int>(LiveKind::kCount); ++k) report.live[k] = -g_live[k].load(std::memory_order_relaxed);
}

void finish_run_report(RunReport& report) {
  report.stacks_out += stacks_outside_pool();
  report.live_counted = kDebugChecks;
  for (int k = 0; k < static_cast<int>(LiveKind::kCount); ++k) report.live[k] += g_live[k].load(std::memory_order_relaxed);
  if (RunEndHook hook = g_run_end_hook.load(std::memory_order_acquire)) hook(report);
}

}  // namespace gort::detail
