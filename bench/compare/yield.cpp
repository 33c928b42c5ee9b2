// yield.cpp -- two goroutines yielding to each other on one P (twin: go/yield/main.go).
//
// Each of the two calls gort::yield() n times; main waits for both on a WaitGroup.
// With max_procs 1 every yield is a trip through the scheduler to the other
// goroutine: requeue the caller, pick the next, switch.  Reported: the total time
// divided by the total number of yields (2n).
//
//   yield [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_yield <ns> ns
#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultYields = 1'000'000;  // per goroutine: ~0.1 s of Go's 65 ns yields
constexpr int kYielders = 2;
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultYields}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&] {
        gort::WaitGroup wg;
        const std::int64_t start = bench::now_ns();
        for (int g = 0; g < kYielders; ++g) {
          wg.add(1);
          gort::go([&wg, n] {
            for (std::int64_t i = 0; i < n; ++i) gort::yield();
            wg.done();
          });
        }
        wg.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        bench::result("ns_per_yield", static_cast<double>(elapsed) / static_cast<double>(kYielders * n), "ns");
        if (flags.verbose()) bench::print_stats("joined");
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
