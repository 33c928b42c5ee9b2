// mutex_uncontended.cpp -- the fast path of Mutex: lock and unlock with nobody else
// around (twin: go/mutex_uncontended/main.go).
//
// main, the only goroutine, locks a gort::Mutex, increments the counter it guards
// and unlocks, n times, and checks that the counter is n.  No other goroutine ever
// touches the mutex, so every lock() is its inlined compare-and-swap and every
// unlock() its inlined atomic add; the figure is the cost of those two atomics plus
// the loop.  Reported: the loop's time divided by n.
//
// Then the same loop over a std::mutex, in the same process: gort's target is its
// uncontended Mutex within 1.2x of std::mutex (glibc's pthread mutex: an atomic each
// way too, behind a call).  The Go twin has no std::mutex, so only this twin reports
// std_mutex_ns_per_lock: compare.py lists it as a gort-only metric (Go column "-")
// and checks the 1.2x target against it, rather than have the Go twin pass off a
// second sync.Mutex figure under that name.
//
//   mutex_uncontended [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_lock <ns> ns
//   RESULT std_mutex_ns_per_lock <ns> ns      (this twin only)
#include <cstdint>
#include <cstdio>
#include <mutex>

#include <gort/mutex.hpp>
#include <gort/runtime.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultLocks = 10'000'000;

// n times: lock, ++counter, unlock.  Returns the counter, which must be n.
template <class M>
std::int64_t lock_loop(M& mu, std::int64_t n) {
  std::int64_t counter = 0;  // guarded by mu
  for (std::int64_t i = 0; i < n; ++i) {
    mu.lock();
    ++counter;
    mu.unlock();
  }
  return counter;
}
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultLocks}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&]() -> int {
        gort::Mutex mu;
        std::int64_t start = bench::now_ns();
        const std::int64_t gort_count = lock_loop(mu, n);
        const std::int64_t gort_elapsed = bench::now_ns() - start;

        std::mutex std_mu;
        start = bench::now_ns();
        const std::int64_t std_count = lock_loop(std_mu, n);
        const std::int64_t std_elapsed = bench::now_ns() - start;

        if (gort_count != n || std_count != n) {
          std::fprintf(stderr, "mutex_uncontended: counters are %lld (gort) and %lld (std), want %lld\n",
                       static_cast<long long>(gort_count), static_cast<long long>(std_count),
                       static_cast<long long>(n));
          return 1;
        }
        bench::result("ns_per_lock", static_cast<double>(gort_elapsed) / static_cast<double>(n), "ns");
        bench::result("std_mutex_ns_per_lock", static_cast<double>(std_elapsed) / static_cast<double>(n), "ns");
        if (flags.verbose()) bench::print_stats("done");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
