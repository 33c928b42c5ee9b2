// select.cpp -- one receiver selecting over four unbuffered channels fed by four
// senders (twin: go/select/main.go).
//
// Sender k sends n/4 integers on its own unbuffered channel; the receiver runs n
// selects, each with one on_recv case per channel, and sums what it gets.  main waits
// for all five on a WaitGroup and checks the sum.  Every select either finds a sender
// parked on one of the channels or parks on all four until a sender comes.
// Reported: the time from spawning to the return of wait(), divided by n.
//
//   select [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_message <ns> ns
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>

#include <gort/chan.hpp>
#include <gort/go.hpp>
#include <gort/runtime.hpp>
#include <gort/select.hpp>
#include <gort/waitgroup.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultMessages = 2'000'000;
constexpr int kSenders = 4;
}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultMessages}});
  const std::int64_t per_sender = flags["n"] / kSenders;
  const std::int64_t n = per_sender * kSenders;
  return gort::run(
      [&]() -> int {
        std::array<gort::Chan<std::int64_t>, kSenders> chans;
        for (auto& c : chans) c = gort::make_chan<std::int64_t>();
        gort::WaitGroup wg;
        std::int64_t sum = 0;
        const std::int64_t start = bench::now_ns();
        wg.add(kSenders + 1);
        for (int k = 0; k < kSenders; ++k) {
          gort::go([&wg, ch = chans[k], k, per_sender] {
            for (std::int64_t i = k * per_sender, end = i + per_sender; i < end; ++i) ch.send(i);
            wg.done();
          });
        }
        gort::go([&wg, &sum, chans, n] {
          std::int64_t s = 0;
          auto add = [&s](std::optional<std::int64_t> v) { s += *v; };
          for (std::int64_t i = 0; i < n; ++i) {
            gort::select(gort::on_recv(chans[0], add), gort::on_recv(chans[1], add), gort::on_recv(chans[2], add),
                         gort::on_recv(chans[3], add));
          }
          sum = s;
          wg.done();
        });
        wg.wait();
        const std::int64_t elapsed = bench::now_ns() - start;
        if (sum != n * (n - 1) / 2) {
          std::fprintf(stderr, "select: sum %lld, want %lld\n", static_cast<long long>(sum),
                       static_cast<long long>(n * (n - 1) / 2));
          return 1;
        }
        bench::result("ns_per_message", static_cast<double>(elapsed) / static_cast<double>(n), "ns");
        if (flags.verbose()) bench::print_stats("joined");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
