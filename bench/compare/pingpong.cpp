// pingpong.cpp -- round trips over two unbuffered channels (twin: go/pingpong/main.go).
//
// Two goroutines and two unbuffered channels, ping and pong.  The pinger sends i on
// ping and receives it back on pong, n times; the ponger receives on ping and sends
// the value back on pong.  One round trip = one send each way, so each is two
// rendezvous: the sender parks or finds the receiver parked, and the other side is
// made ready.  main waits for both on a WaitGroup; reported: the time from spawning
// them to the return of wait(), divided by n.
//
//   pingpong [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_roundtrip <ns> ns
#include <cstdint>
#include <cstdio>

#include <gort/chan.hpp>
#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultRoundTrips = 1'000'000;
}

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultRoundTrips}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&]() -> int {
        auto ping = gort::make_chan<std::int64_t>();
        auto pong = gort::make_chan<std::int64_t>();
        gort::WaitGroup wg;
        std::int64_t bad = 0;  // values that came back wrong (must stay 0)
        const std::int64_t start = bench::now_ns();
        wg.add(2);
        gort::go([&wg, &bad, ping, pong, n] {
          for (std::int64_t i = 0; i < n; ++i) {
            ping.send(i);
            if (pong.recv() != i) ++bad;
          }
          wg.done();
        });
        gort::go([&wg, ping, pong, n] {
          for (std::int64_t i = 0; i < n; ++i) pong.send(*ping.recv());
          wg.done();
        });
        wg.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        if (bad != 0) {
          std::fprintf(stderr, "pingpong: %lld values came back wrong\n", static_cast<long long>(bad));
          return 1;
        }
        bench::result("ns_per_roundtrip", static_cast<double>(elapsed) / static_cast<double>(n), "ns");
        if (flags.verbose()) bench::print_stats("joined");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
