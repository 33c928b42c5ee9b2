// mutex_contended.cpp -- eight goroutines hammering one Mutex (twin: go/mutex_contended/main.go).
//
// One gort::Mutex guarding one counter.  main spawns 8 goroutines; each locks the
// mutex, increments the counter and unlocks, n times.  With several Ps the
// goroutines contend: lock() spins while the holder runs on another P, then parks
// (sync.Mutex.Lock), unlock() wakes a waiter, and a waiter queued for more than 1 ms
// turns on starvation mode (hand-off).  On one P gort's goroutines run one after
// another (scheduling is cooperative and a free mutex never parks its taker), so the
// figure is close to the uncontended cost; Go's are preempted every 10 ms or so, and
// one preempted while holding the mutex makes the others park until it runs again.
// main waits for them on a WaitGroup and checks that the counter is 8*n.  Reported:
// the time from spawning the goroutines to the return of wait(), divided by 8*n.
//
//   mutex_contended [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_lock <ns> ns
#include <cstdint>
#include <cstdio>

#include <gort/go.hpp>
#include <gort/mutex.hpp>
#include <gort/runtime.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultLocksPerGoroutine = 1'000'000;
constexpr int kGoroutines = 8;
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultLocksPerGoroutine}});
  const std::int64_t n = flags["n"];
  const std::int64_t total = n * kGoroutines;
  return gort::run(
      [&]() -> int {
        gort::Mutex mu;
        std::int64_t counter = 0;  // guarded by mu
        gort::WaitGroup wg;
        const std::int64_t start = bench::now_ns();
        wg.add(kGoroutines);
        for (int g = 0; g < kGoroutines; ++g) {
          gort::go([&wg, &mu, &counter, n] {
            for (std::int64_t i = 0; i < n; ++i) {
              mu.lock();
              ++counter;
              mu.unlock();
            }
            wg.done();
          });
        }
        wg.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        mu.lock();
        const std::int64_t final_count = counter;
        mu.unlock();
        if (final_count != total) {
          std::fprintf(stderr, "mutex_contended: counter is %lld, want %lld\n", static_cast<long long>(final_count),
                       static_cast<long long>(total));
          return 1;
        }
        bench::result("ns_per_lock", static_cast<double>(elapsed) / static_cast<double>(total), "ns");
        if (flags.verbose()) bench::print_stats("joined");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
