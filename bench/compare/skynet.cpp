// skynet.cpp -- the skynet benchmark (twin: go/skynet/main.go; after
// github.com/atemerev/skynet, Go version).
//
// A 10-ary tree of goroutines with n leaves (n a power of 10; 1,000,000 by default,
// so 1,111,111 goroutines in all).  Each inner node makes an unbuffered channel,
// spawns its 10 children with it, receives their 10 sums and sends its own sum up its
// parent's channel; leaf k sends k.  main spawns the root and receives the total,
// which must be 0+1+...+(n-1) (499999500000 for a million).
// Reported: the time from spawning the root to receiving the total, in ms.
//
//   skynet [--procs=N] [--n=N] [--verbose]
//   RESULT ms_total <ms> ms
#include <cstdint>
#include <cstdio>

#include <gort/chan.hpp>
#include <gort/go.hpp>
#include <gort/runtime.hpp>

#include "harness.hpp"

namespace {

constexpr std::int64_t kDefaultLeaves = 1'000'000;
constexpr std::int64_t kFanOut = 10;

void skynet(gort::Chan<std::int64_t> c, std::int64_t num, std::int64_t size, std::int64_t div) {
  if (size == 1) {
    c.send(num);
    return;
  }
  auto rc = gort::make_chan<std::int64_t>();
  for (std::int64_t i = 0; i < div; ++i) {
    const std::int64_t sub_num = num + i * (size / div);
    gort::go(skynet, rc, sub_num, size / div, div);
  }
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < div; ++i) sum += *rc.recv();
  c.send(sum);
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultLeaves}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&]() -> int {
        auto c = gort::make_chan<std::int64_t>();
        const std::int64_t start = bench::now_ns();
        gort::go(skynet, c, std::int64_t{0}, n, kFanOut);
        const std::int64_t result = *c.recv();
        const std::int64_t elapsed = bench::now_ns() - start;
        if (result != n * (n - 1) / 2) {
          std::fprintf(stderr, "skynet: result %lld, want %lld\n", static_cast<long long>(result),
                       static_cast<long long>(n * (n - 1) / 2));
          return 1;
        }
        if (flags.verbose()) std::fprintf(stderr, "skynet: result %lld\n", static_cast<long long>(result));
        bench::result("ms_total", static_cast<double>(elapsed) / 1e6, "ms");
        if (flags.verbose()) bench::print_stats("done");
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
