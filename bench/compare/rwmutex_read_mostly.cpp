// rwmutex_read_mostly.cpp -- eight goroutines on one RWMutex, 95% readers, 5% writers
// (twin: go/rwmutex_read_mostly/main.go).
//
// One gort::RWMutex guarding one shared value.  main spawns 8 goroutines; goroutine
// g draws n numbers from SplitMix64 seeded with kSeed + g (the same draws as the Go
// twin) and for each does one operation: if draw % 100 < 5, a write (lock(), ++value,
// unlock()), otherwise a read (lock_shared(), add value to a local sum,
// unlock_shared()).  With several Ps, readers share the reader count's cache line and
// a writer makes new readers park behind it until the readers inside have left.
// main waits on a WaitGroup and checks that the value equals the number of writes
// the goroutines counted.  Reported: the time from spawning the goroutines to the
// return of wait(), divided by 8*n.
//
//   rwmutex_read_mostly [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_op <ns> ns
#include <array>
#include <cstdint>
#include <cstdio>

#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/rwmutex.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultOpsPerGoroutine = 1'000'000;
constexpr int kGoroutines = 8;
constexpr std::uint64_t kSeed = 20240601;
constexpr std::uint64_t kWritePercent = 5;  // the issue: 95% reads, 5% writes

// What one goroutine did, written once at its end.
struct Tally {
  std::int64_t writes = 0;
  std::int64_t read_sum = 0;  // the values its reads saw, added up (keeps the reads)
};
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultOpsPerGoroutine}});
  const std::int64_t n = flags["n"];
  const std::int64_t total = n * kGoroutines;
  return gort::run(
      [&]() -> int {
        gort::RWMutex mu;
        std::int64_t value = 0;  // guarded by mu
        std::array<Tally, kGoroutines> tallies{};
        gort::WaitGroup wg;
        const std::int64_t start = bench::now_ns();
        wg.add(kGoroutines);
        for (int g = 0; g < kGoroutines; ++g) {
          gort::go([&wg, &mu, &value, &tallies, g, n] {
            bench::SplitMix64 rng(kSeed + static_cast<std::uint64_t>(g));
            Tally t;
            for (std::int64_t i = 0; i < n; ++i) {
              if (rng.next() % 100 < kWritePercent) {
                mu.lock();
                ++value;
                mu.unlock();
                ++t.writes;
              } else {
                mu.lock_shared();
                t.read_sum += value;
                mu.unlock_shared();
              }
            }
            tallies[static_cast<std::size_t>(g)] = t;
            wg.done();
          });
        }
        wg.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        std::int64_t writes = 0;
        std::int64_t read_sum = 0;
        for (const Tally& t : tallies) {
          writes += t.writes;
          read_sum += t.read_sum;
        }
        mu.lock_shared();
        const std::int64_t final_value = value;
        mu.unlock_shared();
        if (final_value != writes) {
          std::fprintf(stderr, "rwmutex_read_mostly: value is %lld, want %lld (the writes)\n",
                       static_cast<long long>(final_value), static_cast<long long>(writes));
          return 1;
        }
        bench::result("ns_per_op", static_cast<double>(elapsed) / static_cast<double>(total), "ns");
        if (flags.verbose()) {
          std::fprintf(stderr, "rwmutex_read_mostly: %lld writes, %lld reads, read sum %lld\n",
                       static_cast<long long>(writes), static_cast<long long>(total - writes),
                       static_cast<long long>(read_sum));
          bench::print_stats("joined");
        }
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
