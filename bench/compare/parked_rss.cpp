// parked_rss.cpp -- resident memory per parked goroutine (twin: go/parked_rss/main.go).
//
// n goroutines each call started.done() and then park on a shared gate (a WaitGroup
// with count 1; gort has no channels yet, so the Go twin uses the same two
// WaitGroups).  Once all have started, and after a short pause so that the last
// ones, possibly on another P, have finished parking, RSS is read again:
//     KiB per goroutine = (RSS parked - RSS before spawning) / n.
// That is the G record, the touched part of its stack (the reservation itself is not
// resident) and the wait-queue entry.  Then the gate opens and all are joined.
// Run each n in a fresh process: pooled stacks from an earlier round would hide the
// cost.  Also reported: the time to spawn and park them, per goroutine.
//
//   parked_rss [--procs=N] [--n=N] [--verbose]
//   RESULT kib_per_goroutine <KiB> KiB
//   RESULT park_ns_per_goroutine <ns> ns
#include <chrono>
#include <thread>

#include <gort/blocking.hpp>
#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {

constexpr std::int64_t kDefaultGoroutines = 100'000;  // issue "Foundation 2": 100,000 and 1,000,000
// After started.wait() returns, the goroutines that called done() last may still be
// on their way into gate.wait() on another P; this pause (same in the Go twin) is
// orders of magnitude longer than that path.
constexpr auto kSettle = std::chrono::milliseconds(20);
constexpr double kKiB = 1024.0;

struct Gates {
  gort::WaitGroup started;   // each goroutine: done() right before it parks
  gort::WaitGroup gate;      // count 1 while the goroutines must stay parked
  gort::WaitGroup finished;  // joins them
};

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultGoroutines}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&] {
        Gates s;
        s.gate.add(1);
        s.started.add(static_cast<int>(n));
        s.finished.add(static_cast<int>(n));
        if (flags.verbose()) bench::print_stats("before");
        const std::int64_t rss_before = bench::rss_bytes();
        const std::int64_t start = bench::now_ns();
        for (std::int64_t i = 0; i < n; ++i) {
          gort::go([&s] {
            s.started.done();
            s.gate.wait();
            s.finished.done();
          });
        }
        s.started.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        gort::blocking([] { std::this_thread::sleep_for(kSettle); });
        const std::int64_t rss_parked = bench::rss_bytes();
        if (flags.verbose()) bench::print_stats("parked");
        bench::result("kib_per_goroutine",
                      static_cast<double>(rss_parked - rss_before) / kKiB / static_cast<double>(n), "KiB");
        bench::result("park_ns_per_goroutine", static_cast<double>(elapsed) / static_cast<double>(n), "ns");
        s.gate.done();
        s.finished.wait();
        if (flags.verbose()) bench::print_stats("joined");
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
