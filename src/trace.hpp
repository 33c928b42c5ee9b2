// trace.hpp -- GORT_TRACE=<file>: an execution trace in Chrome trace-event JSON.
//
// Opens in Perfetto (ui.perfetto.dev) or chrome://tracing: one track per M (thread)
// showing which goroutine ran there and for how long, why each stopped (the wait
// reason, yield, exit, blocking call), and instant events where goroutines were
// created and made ready.  Events go to a buffer per M (owned by that M: no lock, no
// atomic), written out when run() returns.  With tracing off, the scheduler pays one
// predictable branch on a flag fixed for the whole run.
#pragma once

#include <cstdint>
#include <vector>

namespace gort::detail {

struct M;

enum class TraceKind : std::uint8_t {
  kRun,       // goroutine `goid` started running on this M
  kStop,      // it stopped; `arg` says why (StopWhy), `reason` the WaitReason of a park
  kCreate,    // the running goroutine (or a thread) created goroutine `goid`
  kUnpark,    // ... made goroutine `goid` runnable
  kSyscall,   // goroutine `goid` entered blocking()
  kSysret,    // ... and came back
};

enum class StopWhy : std::uint8_t { kPark, kYield, kExit, kSyscall };

struct TraceEvent {
  std::int64_t ts;      // nanotime()
  std::uint64_t goid;
  TraceKind kind;
  std::uint8_t arg;     // StopWhy for kStop
  std::uint8_t reason;  // WaitReason for a park
};

struct TraceBuffer {
  std::vector<TraceEvent> events;
};

// Whether this run is traced (fixed between run()'s start and end).
extern bool g_tracing;

void trace_start();                        // at run(): reads GORT_TRACE
void trace_event(M* m, TraceKind kind, std::uint64_t goid, std::uint8_t arg = 0, std::uint8_t reason = 0);
void trace_finish();                       // at run()'s end: writes the file
void trace_flush();                        // the process ends (fatal, panic, SIGQUIT): writes the file, frees nothing

}  // namespace gort::detail
