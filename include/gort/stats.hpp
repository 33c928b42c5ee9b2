// stats.hpp -- introspection: stats() and dump_goroutines().
//
// stats() is cheap (it sums per-P counters) and callable from anywhere, inside run()
// or not (then the scheduler fields are zero).  dump_goroutines() prints every live
// goroutine as Go's traceback header does -- `goroutine 7 [chan receive, 2 minutes]:`
// -- followed by where it was created.
//
// Environment: GORT_SCHEDTRACE=<ms> prints a scheduler line on stderr every <ms>
// milliseconds, like GODEBUG=schedtrace.
// GORT_HOGWARN=<ms> (default 10, off in sanitizer builds; 0: off; also
// Options::hog_warn): a goroutine that runs that long without a scheduling point
// while others wait for its P is reported on stderr once, with its frames
// (stats().hogs counts the reports).
// GORT_SCHEDULE_SEED=<n> (also Options::schedule_seed): randomized schedules for
// testing, see runtime.hpp; stats().schedule_seed is the seed in effect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>

namespace gort {

struct Stats {
  int goroutines = 0;              // live goroutines, main included
  int procs = 0;                   // Ps (max_procs)
  int idle_procs = 0;
  int threads = 0;                 // Ms: OS threads running goroutines, the run() caller included
  int idle_threads = 0;
  int spinning_threads = 0;        // Ms looking for work to steal
  int threads_in_blocking = 0;     // Ms inside blocking()
  std::size_t global_runq = 0;     // goroutines in the global run queue
  std::size_t local_runq = 0;      // in the Ps' local run queues
  std::uint64_t spawned = 0;       // goroutines created since run() started
  std::uint64_t context_switches = 0;
  std::uint64_t steals = 0;        // successful steals from another P
  std::uint64_t parks = 0;         // goroutines parked (blocked)
  std::uint64_t blocking_calls = 0;
  std::uint64_t handoffs = 0;      // Ps handed to another M during a long blocking() call
  std::uint64_t hogs = 0;          // goroutines warned about for holding their P (GORT_HOGWARN)
  std::size_t stacks_reserved = 0; // stacks carved so far (process-wide)
  std::size_t stacks_pooled = 0;   // free in the process-wide pool (not counting per-P caches)
  const char* stack_guard = "";    // "madvise-guard", "mprotect" or "canary"
  std::uint64_t schedule_seed = 0; // the randomized-schedule seed in effect (GORT_SCHEDULE_SEED); 0: off
};

Stats stats();
void dump_goroutines(std::ostream& out);

}  // namespace gort
