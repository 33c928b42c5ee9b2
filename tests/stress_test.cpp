// stress_test.cpp -- large numbers: a million goroutines spawned and joined, a million
// parked at once then released (scaled down under sanitizers and qemu); and randomized
// park/ready/steal/timer traffic, which the debug-checks build (asan and tsan presets)
// runs with every scheduler invariant checked.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sanitizers.hpp"
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

// Touches `bytes` of the calling goroutine's stack, as a deep call would.
[[gnu::noinline]] void touch_stack(std::size_t bytes) {
  char buf[64 * 1024];
  for (std::size_t i = 0; i < bytes && i < sizeof buf; i += 4096) buf[i] = 1;
  // The stores must happen and the array must be on the stack (clang turned a
  // volatile array that never escaped into one page of touches).
  asm volatile("" : : "r"(buf) : "memory");
}

// The stacks of a burst of goroutines go back to the kernel while the program goes on
// (sysmon scavenges the pools), not only when run() ends.
TEST_P(Stress, ABurstsStackMemoryIsReturnedWhileTheProgramRuns) {
  // Fewer stacks than a pool once had to hold before it was trimmed at all.
  const long n = gort_test::scaled(3000, 1000);
  // No hog warnings: symbolizing one reads the debug information, resident memory
  // that would blur what this test measures.
  gort::run([&] {
    long rss0 = gort_test::rss_bytes();
    gort::WaitGroup started, gate, finished;
    gate.add(1);
    for (long i = 0; i < n; ++i) {
      started.add(1);
      finished.go([&] {
        touch_stack(48 * 1024);
        started.done();
        gate.wait();
      });
    }
    started.wait();
    long peak = gort_test::rss_bytes();
    gate.done();
    finished.wait();
    // Returned within a few scavenge periods; the goroutine sleeping here holds no P.
    long rss = peak;
    for (int i = 0; i < 100 && rss - rss0 > (peak - rss0) / 4; ++i) {
      gort::sleep(std::chrono::milliseconds(50));
      rss = gort_test::rss_bytes();
    }
    std::printf("%ld goroutines: %.1f MiB more resident at the peak, %.1f MiB after they ended\n", n,
                static_cast<double>(peak - rss0) / (1 << 20), static_cast<double>(rss - rss0) / (1 << 20));
#if !GORT_ASAN && !GORT_TSAN  // sanitizers keep shadow memory of the stacks resident
    EXPECT_GT(peak - rss0, n * 40 * 1024) << "the goroutines did not touch their stacks";
    EXPECT_LE(rss - rss0, (peak - rss0) / 4) << "the burst's stacks stayed resident";
#endif
  }, gort::Options{.max_procs = GetParam(), .hog_warn = -1});
}

// Many goroutines park and wake each other in random order across Ps; every one of
// them must have run, once.
TEST_P(Stress, RandomParkAndWake) {
  const int kGroups = 64;
  const long kRounds = gort_test::scaled(2000, 200);
  std::atomic<long> woken{0};
  run([&] {
    gort::WaitGroup all;
    for (int g = 0; g < kGroups; ++g) {
      all.go([kRounds, &woken] {
        for (long r = 0; r < kRounds; ++r) {
          gort::WaitGroup inner;
          for (int k = 0; k < 3; ++k)
            inner.go([&woken] {
              gort::yield();
              woken.fetch_add(1, std::memory_order_relaxed);
            });
          inner.wait();
        }
      });
    }
    all.wait();
  });
  EXPECT_EQ(woken.load(), kGroups * kRounds * 3);
}

GORT_INSTANTIATE_PROCS(Stress);

// Randomized traffic through every scheduler path at 1, 2, 4 and 8 Ps (more Ps than
// this machine has cores included): tokens hop between workers' mailboxes, and at each
// hop the worker holding one picks, at random, how to pass it on -- directly, after a
// yield, after a timer (sleep), through a new goroutine (runnext and steals), from
// inside blocking() (P hand-off), or through a select racing a timer.  Receivers wait
// in a select with a timeout, so timer fires race channel wake-ups.  Postcondition:
// every hop of every token happened exactly once, and each token arrives at the end.
class SchedTraffic : public ::testing::TestWithParam<int> {};

TEST_P(SchedTraffic, RandomParkReadyStealTimer) {
  struct Token {
    int id;
    int hops_left;
  };
  const int kWorkers = 16;
  const int kTokens = 24;
  const int kHops = static_cast<int>(gort_test::scaled(400, 60));
  std::atomic<long> hops{0}, timeouts{0}, via_goroutine{0};
  std::vector<std::atomic<int>> arrivals(kTokens);
  gort::run(
      [&] {
        std::vector<gort::Chan<Token>> mailbox;
        // Room for every token: a send never parks, so the traffic cannot deadlock
        // however it is scheduled; receives park.
        for (int w = 0; w < kWorkers; ++w) mailbox.push_back(gort::make_chan<Token>(kTokens));
        auto done = gort::make_chan<Token>(kTokens);
        // One hop: the token goes on to worker `to`, or to `done` after its last hop.
        auto forward = [&](Token t, int to) {
          hops.fetch_add(1, std::memory_order_relaxed);
          if (--t.hops_left == 0)
            done.send(t);
          else
            mailbox[to].send(t);
        };
        gort::WaitGroup workers;
        for (int w = 0; w < kWorkers; ++w) {
          workers.go([&, w] {
            std::minstd_rand rng(static_cast<std::uint32_t>(GetParam() * 1000 + w + 1));
            auto pass = [&](Token t) { forward(t, static_cast<int>(rng() % kWorkers)); };
            for (;;) {
              std::optional<Token> got;
              bool closed = false;
              gort::select(gort::on_recv(mailbox[w],
                                         [&](std::optional<Token> t) {
                                           got = t;
                                           closed = !t;
                                         }),
                           gort::on_recv(gort::after(std::chrono::microseconds(50 + rng() % 400)),
                                         [&] { timeouts.fetch_add(1, std::memory_order_relaxed); }));
              if (closed) return;
              if (!got) continue;
              switch (rng() % 6) {
                case 0:
                  pass(*got);
                  break;
                case 1:
                  gort::yield();
                  pass(*got);
                  break;
                case 2:
                  gort::sleep(std::chrono::microseconds(rng() % 200));
                  pass(*got);
                  break;
                case 3: {  // a new goroutine passes it on: runnext, and work to steal
                  const Token t = *got;
                  const int to = static_cast<int>(rng() % kWorkers);
                  via_goroutine.fetch_add(1, std::memory_order_relaxed);
                  workers.go([&forward, t, to] { forward(t, to); });
                  break;
                }
                case 4:
                  gort::blocking([] { std::this_thread::sleep_for(std::chrono::microseconds(20)); });
                  pass(*got);
                  break;
                default:  // the send in a select that races a timer it never loses to
                  gort::select(gort::on_recv(gort::after(std::chrono::hours(1))),
                               gort::on_send(mailbox[w], *got));
                  break;  // back in our own mailbox: not a hop
              }
            }
          });
        }
        for (int t = 0; t < kTokens; ++t) mailbox[t % kWorkers].send(Token{t, kHops});
        for (int t = 0; t < kTokens; ++t) {
          std::optional<Token> end = done.recv();
          ASSERT_TRUE(end.has_value());
          EXPECT_EQ(end->hops_left, 0);
          arrivals[end->id].fetch_add(1, std::memory_order_relaxed);
        }
        for (auto& m : mailbox) m.close();
        workers.wait();
      },
      gort::Options{.max_procs = GetParam()});
  EXPECT_EQ(hops.load(), static_cast<long>(kTokens) * kHops);
  for (int t = 0; t < kTokens; ++t) EXPECT_EQ(arrivals[t].load(), 1) << "token " << t;
  std::printf("%ld hops, %ld through a new goroutine, %ld receive timeouts (max_procs %d)\n", hops.load(),
              via_goroutine.load(), timeouts.load(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Procs, SchedTraffic, ::testing::Values(1, 2, 4, 8),
                         [](const ::testing::TestParamInfo<int>& i) { return "P" + std::to_string(i.param); });

}  // namespace
