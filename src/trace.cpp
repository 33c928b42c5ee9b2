// trace.cpp -- GORT_TRACE: recording per M, writing Chrome trace-event JSON at the end.
//
// Format (the JSON Object Format of Chrome's trace-event spec, read by Perfetto):
//   a metadata event naming each M's track ("M0 (run caller)", "M1", ...),
//   "X" (complete) events for each stretch a goroutine ran on an M, named "G<id>",
//   with the reason it stopped in args, nested "X" events for blocking() calls, and
//   "i" (instant) events for goroutine creation and wake-ups.
// Timestamps are microseconds since run() started.  Events of threads that are not
// Ms (go() or a wake-up from a foreign thread) go to one shared buffer under a lock.
#include "trace.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "os.hpp"
#include "runtime2.hpp"

namespace gort::detail {

bool g_tracing = false;

namespace {

std::string g_path;
Lock g_foreign_lock;
TraceBuffer g_foreign GORT_GUARDED_BY(g_foreign_lock);

const char* stop_text(const TraceEvent& e) {
  switch (static_cast<StopWhy>(e.arg)) {
    case StopWhy::kPark: return wait_reason_string(static_cast<WaitReason>(e.reason));
    case StopWhy::kYield: return "yield";
    case StopWhy::kExit: return "exit";
    case StopWhy::kSyscall: return "blocking";
  }
  return "?";
}

void write_events(std::FILE* f, const TraceBuffer& buf, long tid, bool* first) {
  auto us = [](std::int64_t ts) { return static_cast<double>(ts - sched.start_ns) / 1000.0; };
  auto sep = [&] {
    std::fputs(*first ? "\n" : ",\n", f);
    *first = false;
  };
  const TraceEvent* run = nullptr;      // the open run slice
  const TraceEvent* syscall = nullptr;  // the open blocking() slice
  for (const TraceEvent& e : buf.events) {
    switch (e.kind) {
      case TraceKind::kRun:
        run = &e;
        break;
      case TraceKind::kStop:
        if (run != nullptr) {
          sep();
          std::fprintf(f,
                       R"({"name":"G%llu","cat":"goroutine","ph":"X","pid":1,"tid":%ld,"ts":%.3f,"dur":%.3f,)"
                       R"("args":{"goid":%llu,"stopped":"%s"}})",
                       static_cast<unsigned long long>(run->goid), tid, us(run->ts), us(e.ts) - us(run->ts),
                       static_cast<unsigned long long>(run->goid), stop_text(e));
        }
        run = nullptr;
        break;
      case TraceKind::kSyscall:
        syscall = &e;
        break;
      case TraceKind::kSysret:
        if (syscall != nullptr) {
          sep();
          std::fprintf(f, R"x({"name":"blocking()","cat":"syscall","ph":"X","pid":1,"tid":%ld,"ts":%.3f,"dur":%.3f,)x"
                          R"("args":{"goid":%llu}})",
                       tid, us(syscall->ts), us(e.ts) - us(syscall->ts), static_cast<unsigned long long>(e.goid));
        }
        syscall = nullptr;
        break;
      case TraceKind::kCreate:
      case TraceKind::kUnpark:
        sep();
        std::fprintf(f, R"({"name":"%s G%llu","cat":"goroutine","ph":"i","s":"t","pid":1,"tid":%ld,"ts":%.3f})",
                     e.kind == TraceKind::kCreate ? "go" : "ready", static_cast<unsigned long long>(e.goid), tid,
                     us(e.ts));
        break;
    }
  }
}

}  // namespace

void trace_start() {
  const char* env = std::getenv("GORT_TRACE");
  g_tracing = env != nullptr && *env != '\0';
  if (g_tracing) g_path = env;
}

void trace_event(M* m, TraceKind kind, std::uint64_t goid, std::uint8_t arg, std::uint8_t reason) {
  if (sched.freezing.load(std::memory_order_relaxed)) [[unlikely]]
    return;  // the file is being written as the process ends
  TraceEvent e{nanotime(), goid, kind, arg, reason};
  if (m != nullptr) {
    if (m->trace == nullptr) m->trace = new TraceBuffer;
    m->trace->events.push_back(e);
    return;
  }
  LockGuard lk(g_foreign_lock);
  g_foreign.events.push_back(e);
}

// Reads sched.allm without sched.lock, so the analysis is off: the process is ending
// (fatal, panic, SIGQUIT) with the world frozen, and a fatal error may be reported by
// an M that holds sched.lock already (checkdead), which taking it here would deadlock.
void trace_flush() GORT_NO_THREAD_SAFETY_ANALYSIS {
  if (!g_tracing) return;
  g_tracing = false;
  std::FILE* f = std::fopen(g_path.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "gort: GORT_TRACE: cannot write %s\n", g_path.c_str());
  } else {
    std::fputs(R"({"displayTimeUnit":"ns","traceEvents":[)", f);
    bool first = true;
    for (M* m : sched.allm) {
      std::fprintf(f, "%s\n" R"({"name":"thread_name","ph":"M","pid":1,"tid":%lld,"args":{"name":"M%lld%s"}})",
                   first ? "" : ",", static_cast<long long>(m->id), static_cast<long long>(m->id),
                   m->is_m0 ? " (run caller)" : "");
      first = false;
      if (m->trace != nullptr) write_events(f, *m->trace, static_cast<long>(m->id), &first);
    }
    {
      LockGuard lk(g_foreign_lock);
      std::fprintf(f, "%s\n" R"({"name":"thread_name","ph":"M","pid":1,"tid":-1,"args":{"name":"other threads"}})",
                   first ? "" : ",");
      first = false;
      write_events(f, g_foreign, -1, &first);
      g_foreign.events.clear();
    }
    std::fputs("\n]}\n", f);
    std::fclose(f);
  }
}

void trace_finish() {
  if (!g_tracing) return;
  trace_flush();
  LockGuard lk(sched.lock);  // uncontended: every M has stopped
  for (M* m : sched.allm) {
    delete m->trace;
    m->trace = nullptr;
  }
}

}  // namespace gort::detail
