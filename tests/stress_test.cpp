// stress_test.cpp -- large numbers: a million goroutines spawned and joined, a million
// parked at once then released (scaled down under sanitizers and qemu).
#include <atomic>
#include <chrono>
#include <cstdio>

#include "gobuf.hpp"  // GORT_ASAN, GORT_TSAN
#include "test_util.hpp"

namespace {

class Stress : public gort_test::ProcsTest {};

TEST_P(Stress, SpawnAndJoinAMillion) {
  const long n = gort_test::scaled(1000000, 20000);
  std::atomic<long> ran{0};
  auto t0 = std::chrono::steady_clock::now();
  run([&] {
    gort::WaitGroup wg;
    for (long i = 0; i < n; ++i) {
      wg.add(1);
      gort::go([&] {
        ran.fetch_add(1, std::memory_order_relaxed);
        wg.done();
      });
    }
    wg.wait();
  });
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / static_cast<double>(n);
  std::printf("%ld goroutines spawned and joined, %.0f ns each (max_procs %d)\n", n, ns, GetParam());
  EXPECT_EQ(ran.load(), n);
}

TEST_P(Stress, AMillionParkedAtOnceThenReleased) {
  // Small: TSan gives every started goroutine a fiber and allows 8,128 at once.
  const long n = gort_test::scaled(1000000, 5000);
  std::atomic<long> released{0};
  run([&] {
    gort::WaitGroup started, gate, finished;
    gate.add(1);
    long rss0 = gort_test::rss_bytes();
    for (long i = 0; i < n; ++i) {
      started.add(1);
      finished.go([&] {
        started.done();
        gate.wait();
        released.fetch_add(1, std::memory_order_relaxed);
      });
    }
    started.wait();
    for (int i = 0; i < 100; ++i) gort::yield();
    long rss1 = gort_test::rss_bytes();
    EXPECT_EQ(gort::num_goroutine(), n + 1);
    std::printf("%ld goroutines parked: %.2f KiB resident each\n", n, (rss1 - rss0) / 1024.0 / static_cast<double>(n));
#if !GORT_ASAN && !GORT_TSAN  // sanitizers add shadow memory and fake stacks
    EXPECT_LT(rss1 - rss0, n * 16 * 1024) << "more than 16 KiB per parked goroutine";
#endif
    gate.done();
    finished.wait();
  });
  EXPECT_EQ(released.load(), n);
}

// Many goroutines park and wake each other in random order across Ps.
TEST_P(Stress, RandomParkAndWake) {
  const int kGroups = 64;
  const long kRounds = gort_test::scaled(2000, 200);
  run([&] {
    gort::WaitGroup all;
    for (int g = 0; g < kGroups; ++g) {
      all.go([kRounds] {
        for (long r = 0; r < kRounds; ++r) {
          gort::WaitGroup inner;
          for (int k = 0; k < 3; ++k) inner.go([] { gort::yield(); });
          inner.wait();
        }
      });
    }
    all.wait();
  });
}

GORT_INSTANTIATE_PROCS(Stress);

}  // namespace
