// timer_churn.cpp -- the cost of arming and disarming timers that never fire
// (twin: go/timer_churn/main.go).
//
// Two loops in main, n iterations each:
//   1. create + stop: gort::Timer t(1h); t.stop();   (Go: time.NewTimer(time.Hour); t.Stop())
//      -- a timer and its channel made, armed in the P's heap, disarmed, freed;
//   2. reset: one Timer, t.reset(1h) n times          (Go: t.Reset(time.Hour))
//      -- re-arming an armed timer to a later deadline.
// The hour-long timers never fire.  Reported: each loop's time divided by n.
//
//   timer_churn [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_create_stop <ns> ns
//   RESULT ns_per_reset <ns> ns
#include <chrono>
#include <cstdint>
#include <cstdio>

#include <gort/runtime.hpp>
#include <gort/time.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultOps = 1'000'000;
constexpr auto kNever = std::chrono::hours(1);
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultOps}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&]() -> int {
        std::int64_t stopped = 0;  // stop() results that were true: must be n
        std::int64_t start = bench::now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
          gort::Timer t(kNever);
          stopped += t.stop() ? 1 : 0;
        }
        const std::int64_t create_stop = bench::now_ns() - start;

        std::int64_t active = 0;  // reset() results that were true: must be n
        gort::Timer t(kNever);
        start = bench::now_ns();
        for (std::int64_t i = 0; i < n; ++i) active += t.reset(kNever) ? 1 : 0;
        const std::int64_t reset = bench::now_ns() - start;
        t.stop();

        if (stopped != n || active != n) {
          std::fprintf(stderr, "timer_churn: %lld stops and %lld resets found the timer active, want %lld\n",
                       static_cast<long long>(stopped), static_cast<long long>(active), static_cast<long long>(n));
          return 1;
        }
        bench::result("ns_per_create_stop", static_cast<double>(create_stop) / static_cast<double>(n), "ns");
        bench::result("ns_per_reset", static_cast<double>(reset) / static_cast<double>(n), "ns");
        if (flags.verbose()) bench::print_stats("done");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
