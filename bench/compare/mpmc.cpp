// mpmc.cpp -- many producers, many consumers on one buffered channel (twin: go/mpmc/main.go).
//
// One channel of capacity 128; 4 producers each send n/4 distinct integers, 4
// consumers receive with range-for until the channel is closed and drained.  main
// waits for the producers (WaitGroup), closes the channel, waits for the consumers
// (a second WaitGroup) and checks that the consumers' sums add up to 0+1+...+(n-1).
// Reported: the time from spawning to the consumers' end, divided by n.
//
//   mpmc [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_item <ns> ns
#include <array>
#include <cstdint>
#include <cstdio>

#include <gort/chan.hpp>
#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultItems = 10'000'000;
constexpr std::size_t kCapacity = 128;
constexpr int kProducers = 4;
constexpr int kConsumers = 4;
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 2}, {"n", kDefaultItems}});
  const std::int64_t per_producer = flags["n"] / kProducers;
  const std::int64_t n = per_producer * kProducers;
  return gort::run(
      [&]() -> int {
        auto ch = gort::make_chan<std::int64_t>(kCapacity);
        gort::WaitGroup producers;
        gort::WaitGroup consumers;
        std::array<std::int64_t, kConsumers> sums{};  // one slot per consumer, written once at its end
        const std::int64_t start = bench::now_ns();
        producers.add(kProducers);
        for (int p = 0; p < kProducers; ++p) {
          gort::go([&producers, ch, p, per_producer] {
            for (std::int64_t i = p * per_producer, end = i + per_producer; i < end; ++i) ch.send(i);
            producers.done();
          });
        }
        consumers.add(kConsumers);
        for (int c = 0; c < kConsumers; ++c) {
          gort::go([&consumers, &sums, ch, c] {
            std::int64_t sum = 0;
            for (std::int64_t v : ch) sum += v;
            sums[c] = sum;
            consumers.done();
          });
        }
        producers.wait();
        ch.close();
        consumers.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        std::int64_t total = 0;
        for (std::int64_t s : sums) total += s;
        if (total != n * (n - 1) / 2) {
          std::fprintf(stderr, "mpmc: sum %lld, want %lld\n", static_cast<long long>(total),
                       static_cast<long long>(n * (n - 1) / 2));
          return 1;
        }
        bench::result("ns_per_item", static_cast<double>(elapsed) / static_cast<double>(n), "ns");
        if (flags.verbose()) bench::print_stats("joined");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
