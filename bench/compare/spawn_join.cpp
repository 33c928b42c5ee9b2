// spawn_join.cpp -- spawn and join a million goroutines (twin: go/spawn_join/main.go).
//
// main does wg.add(1) + go(f) n times, where f only calls wg.done(), then wg.wait().
// The time from the first add to the return of wait, divided by n, is the cost of one
// goroutine's whole life: creating its record, queueing it, giving it a stack, running
// it, exiting and recycling.  Nothing is warmed up: both runtimes start cold.
//
//   spawn_join [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_goroutine <ns> ns
#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultGoroutines = 1'000'000;  // issue "Foundation 2"
}

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultGoroutines}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&] {
        gort::WaitGroup wg;
        const std::int64_t start = bench::now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
          wg.add(1);
          gort::go([&wg] { wg.done(); });
        }
        wg.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        bench::result("ns_per_goroutine", static_cast<double>(elapsed) / static_cast<double>(n), "ns");
        if (flags.verbose()) bench::print_stats("joined");
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
