// waitgroup_fanout.cpp -- fan out n goroutines, fan in on one WaitGroup
// (twin: go/waitgroup_fanout/main.go).
//
// One round: main calls wg.add(n), spawns n goroutines, each of which increments a
// shared atomic counter (relaxed) and calls wg.done(), then main waits.  The last
// done() wakes main, the only waiter.  10 rounds in one process, reusing the
// WaitGroup, to average out the noise of one round; at the end main checks that the
// counter is 10*n.  What is measured is mostly spawning, running and ending a tiny
// goroutine (as in spawn_join) plus one atomic add on the WaitGroup's shared counter
// per goroutine, which with 2 Ps contends between them.  Reported: the time of the
// 10 rounds divided by 10*n.
//
//   waitgroup_fanout [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_goroutine <ns> ns
#include <atomic>
#include <cstdint>
#include <cstdio>

#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultGoroutinesPerRound = 100'000;
constexpr int kRounds = 10;
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultGoroutinesPerRound}});
  const std::int64_t n = flags["n"];
  const std::int64_t total = n * kRounds;
  return gort::run(
      [&]() -> int {
        std::atomic<std::int64_t> counter{0};
        gort::WaitGroup wg;
        const std::int64_t start = bench::now_ns();
        for (int round = 0; round < kRounds; ++round) {
          wg.add(static_cast<int>(n));
          for (std::int64_t i = 0; i < n; ++i) {
            gort::go([&wg, &counter] {
              counter.fetch_add(1, std::memory_order_relaxed);
              wg.done();
            });
          }
          wg.wait();
        }
        const std::int64_t elapsed = bench::now_ns() - start;
        if (counter.load() != total) {
          std::fprintf(stderr, "waitgroup_fanout: counter is %lld, want %lld\n",
                       static_cast<long long>(counter.load()), static_cast<long long>(total));
          return 1;
        }
        bench::result("ns_per_goroutine", static_cast<double>(elapsed) / static_cast<double>(total), "ns");
        if (flags.verbose()) bench::print_stats("joined");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
