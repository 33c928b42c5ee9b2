// timer_accuracy.cpp -- how late a lone sleeper wakes on an idle runtime
// (twin: go/timer_accuracy/main.go).
//
// One goroutine (main), nothing else running: it sleeps 1 ms n times, then 5 ms n
// times, then 20 ms n times.  Each time it reads the clock before and after the
// sleep; lateness = wake time - (first reading + duration).  The runtime reads its own
// clock after ours, so a negative lateness would mean the timer fired early (which it
// must never do).  Reported over all 3n sleeps: the 50th and 99th percentiles
// (nearest rank), the minimum and the maximum; and the 99th percentile per duration.
//
//   timer_accuracy [--procs=N] [--n=N] [--verbose]
//   RESULT lateness_p50_us <us> us      (also lateness_p99_us, lateness_min_us,
//   ...                                   lateness_max_us, lateness_p99_{1,5,20}ms_us)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gort/runtime.hpp>
#include <gort/time.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultSleepsPerDuration = 200;
constexpr std::int64_t kSleepMs[] = {1, 5, 20};
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultSleepsPerDuration}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&] {
        std::vector<std::int64_t> all;
        for (std::int64_t ms : kSleepMs) {
          std::vector<std::int64_t> lateness_ns;
          for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t d_ns = ms * 1'000'000;
            const std::int64_t deadline = bench::now_ns() + d_ns;
            gort::sleep(std::chrono::nanoseconds(d_ns));
            lateness_ns.push_back(bench::now_ns() - deadline);
          }
          all.insert(all.end(), lateness_ns.begin(), lateness_ns.end());
          const std::string metric = "lateness_p99_" + std::to_string(ms) + "ms_us";
          bench::result(metric.c_str(), static_cast<double>(bench::percentile(lateness_ns, 99)) / 1e3, "us");
          if (flags.verbose())
            std::fprintf(stderr, "timer_accuracy: %lld ms: p50 %lld ns, min %lld ns, max %lld ns\n",
                         static_cast<long long>(ms), static_cast<long long>(bench::percentile(lateness_ns, 50)),
                         static_cast<long long>(lateness_ns.front()), static_cast<long long>(lateness_ns.back()));
        }
        bench::result("lateness_p50_us", static_cast<double>(bench::percentile(all, 50)) / 1e3, "us");
        bench::result("lateness_p99_us", static_cast<double>(bench::percentile(all, 99)) / 1e3, "us");
        bench::result("lateness_min_us", static_cast<double>(all.front()) / 1e3, "us");  // sorted
        bench::result("lateness_max_us", static_cast<double>(all.back()) / 1e3, "us");
        if (flags.verbose()) bench::print_stats("done");
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
