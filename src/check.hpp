// check.hpp -- the debug-checks tier: runtime invariants that are checked, not only
// written down, and the live counts that make every test a leak test.
//
// Built with -DGORT_DEBUG_CHECKS=ON (on in the asan and tsan presets, off in release
// and bench), GORT_CHECK(cond, fmt, ...) ends the process with Go's "fatal error:"
// report when cond is false, printing what it found (fmt is printf's), as Go's throw
// does after printing the state.  Without the option the macro expands to nothing: the
// condition is not even evaluated, so a check may read fields freely (racy reads
// included: each check names the owner that makes its read safe).
//
// Where the checks sit: at the state transitions written next to each enum and
// struct -- every G status change (casgstatus, proc.hpp), acquirep/releasep and the
// idle lists (proc.cpp), timer heap membership (time.cpp), Sudogs that must not be
// queued when their frame ends (chan.cpp), and context nodes freed while linked
// (context.cpp).
//
// Live counts.  Under the option the runtime also counts its live objects of each kind
// (LiveKind) in process-wide atomics: one shared cache line per operation, which is
// why they exist only in the checked build.  After every run() the runtime records a
// RunReport (goroutines still alive at teardown, stacks not back in their pool, and
// those counts) and hands it to the hook a test harness installed (tests/test_util).
// Goroutines and stacks are read from existing state at teardown, so the release build
// reports them too, at no cost on any hot path.
//
// Rejected: assert() (NDEBUG is tied to the build type, and the sanitizer presets are
// RelWithDebInfo); checks that are always on (a casgstatus that compare-exchanges on
// every park costs a locked instruction on the release hot path).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gort::detail {

// Formats the message and calls fatal(); sched_locked as fatal's.  cond null: the
// message says it all (no "check ... failed at file:line" suffix).
[[noreturn]] void check_failed(bool sched_locked, const char* file, int line, const char* cond, const char* fmt,
                               ...) __attribute__((format(printf, 5, 6)));

#if defined(GORT_DEBUG_CHECKS)
inline constexpr bool kDebugChecks = true;
#define GORT_CHECK(cond, ...)                                                                         \
  do {                                                                                                \
    if (!(cond)) [[unlikely]]                                                                         \
      ::gort::detail::check_failed(false, __FILE__, __LINE__, #cond, __VA_ARGS__);                    \
  } while (0)
// The same, for a caller that holds sched.lock (the report then dumps without it).
#define GORT_CHECK_SCHED_LOCKED(cond, ...)                                                            \
  do {                                                                                                \
    if (!(cond)) [[unlikely]]                                                                         \
      ::gort::detail::check_failed(true, __FILE__, __LINE__, #cond, __VA_ARGS__);                     \
  } while (0)
#else
inline constexpr bool kDebugChecks = false;
#define GORT_CHECK(cond, ...) \
  do {                        \
  } while (0)
#define GORT_CHECK_SCHED_LOCKED(cond, ...) \
  do {                                     \
  } while (0)
#endif

// ------------------------------------------------------------------ live counts

enum class LiveKind : std::uint8_t {
  kChannels,      // hchan allocated and not yet freed
  kTimers,        // Timer/Ticker/after/after_func cores (sleep.cpp)
  kSudogs,        // Sudogs queued on a channel
  kContextNodes,  // ContextNode / DeadlineNode allocated and not yet freed
  kCount
};
inline constexpr const char* kLiveKindNames[] = {"channels", "timers", "sudogs", "context nodes"};

extern std::atomic<std::int64_t> g_live[static_cast<int>(LiveKind::kCount)];

inline void live_add([[maybe_unused]] LiveKind k, [[maybe_unused]] std::int64_t n) noexcept {
  if constexpr (kDebugChecks) g_live[static_cast<int>(k)].fetch_add(n, std::memory_order_relaxed);
}

// A member that counts its owner alive (empty, and no code, without the option):
// declare it [[no_unique_address]] so that it costs no byte either.
template <LiveKind K>
struct LiveCounted {
  LiveCounted() noexcept { live_add(K, 1); }
  LiveCounted(const LiveCounted&) noexcept { live_add(K, 1); }
  LiveCounted& operator=(const LiveCounted&) noexcept = default;
  ~LiveCounted() { live_add(K, -1); }
};

// ------------------------------------------------------------- after each run()

// What one run() left behind.  The counts are differences between run()'s start and
// its return, so objects made before the run and alive after it are not counted.
struct RunReport {
  std::int64_t goroutines_alive = 0;   // Gs neither idle nor dead when run() freed them
  std::int64_t gs_holding_stacks = 0;  // idle or dead Gs that had not released their stack
  std::int64_t stacks_out = 0;         // more stacks outside the pool than before the run
  bool live_counted = false;           // kDebugChecks: `live` below is meaningful
  std::int64_t live[static_cast<int>(LiveKind::kCount)] = {};  // more live objects than before
};

// Called at the end of every run(), after the runtime is freed, on the run() caller's
// thread (a test harness's hook; not part of the public API).
using RunEndHook = void (*)(const RunReport& report);
void set_run_end_hook(RunEndHook hook) noexcept;

// The runtime's side (run.cpp): at run()'s start, the baseline; at its end, the
// differences, then the hook.
void start_run_report(RunReport& report);
void finish_run_report(RunReport& report);

}  // namespace gort::detail
