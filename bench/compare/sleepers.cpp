// sleepers.cpp -- many goroutines sleeping at once: how late do they wake
// (twin: go/sleepers/main.go).
//
// main draws n durations, uniform in [1 ms, 100 ms] at microsecond granularity, from
// SplitMix64 with a fixed seed (the same numbers as the Go twin), then spawns n
// goroutines.  Goroutine i reads the clock, sleeps for duration i, reads the clock
// again and records its lateness: wake time - (first reading + duration).  A timer
// that fired early would show as negative lateness.  main waits on a WaitGroup.
// Reported: the time from the first spawn to the return of wait(), and the 50th and
// 99th percentiles (nearest rank) and the maximum of the lateness.
//
//   sleepers [--procs=N] [--n=N] [--verbose]
//   RESULT total_ms <ms> ms
//   RESULT lateness_p50_us <us> us
//   RESULT lateness_p99_us <us> us
//   RESULT lateness_max_us <us> us
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/time.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultSleepers = 100'000;
constexpr std::uint64_t kSeed = 20240601;
constexpr std::int64_t kMinSleepUs = 1'000;    // 1 ms
constexpr std::int64_t kMaxSleepUs = 100'000;  // 100 ms
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultSleepers}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&] {
        std::vector<std::int64_t> sleep_us(static_cast<std::size_t>(n));
        bench::SplitMix64 rng(kSeed);
        for (auto& d : sleep_us) d = rng.between(kMinSleepUs, kMaxSleepUs);
        std::vector<std::int64_t> lateness_ns(static_cast<std::size_t>(n));
        std::vector<std::int64_t> began_ns(static_cast<std::size_t>(n));  // when each called sleep (--verbose)
        gort::WaitGroup wg;
        const std::int64_t start = bench::now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
          wg.add(1);
          gort::go([&wg, &lateness_ns, &began_ns, &sleep_us, i] {
            const std::int64_t d_ns = sleep_us[i] * 1000;
            const std::int64_t began = bench::now_ns();
            const std::int64_t deadline = began + d_ns;
            began_ns[i] = began;
            gort::sleep(std::chrono::nanoseconds(d_ns));
            lateness_ns[i] = bench::now_ns() - deadline;
            wg.done();
          });
        }
        const std::int64_t spawned = bench::now_ns() - start;
        wg.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        bench::result("total_ms", static_cast<double>(elapsed) / 1e6, "ms");
        bench::result("lateness_p50_us", static_cast<double>(bench::percentile(lateness_ns, 50)) / 1e3, "us");
        bench::result("lateness_p99_us", static_cast<double>(bench::percentile(lateness_ns, 99)) / 1e3, "us");
        bench::result("lateness_max_us", static_cast<double>(lateness_ns.back()) / 1e3, "us");  // sorted
        if (flags.verbose()) {
          std::fprintf(stderr, "sleepers: spawn loop %.1f ms, first sleep began at %.1f ms, last at %.1f ms, "
                       "lateness min %lld ns\n", static_cast<double>(spawned) / 1e6,
                       static_cast<double>(*std::min_element(began_ns.begin(), began_ns.end()) - start) / 1e6,
                       static_cast<double>(*std::max_element(began_ns.begin(), began_ns.end()) - start) / 1e6,
                       static_cast<long long>(lateness_ns.front()));
          bench::print_stats("joined");
        }
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
