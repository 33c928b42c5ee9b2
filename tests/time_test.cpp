// time_test.cpp -- sleep and the scheduler's timers (time.cpp).  Timings are checked
// with wide margins only: accuracy is measured by the benchmarks.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = gort::Clock;

class TimeP : public gort_test::ProcsTest {};

TEST_P(TimeP, SleepNeverReturnsEarly) {
  run([] {
    for (auto d : {1ms, 5ms, 20ms}) {
      auto t0 = Clock::now();
      gort::sleep(d);
      EXPECT_GE(Clock::now() - t0, d);
    }
    gort::sleep(std::chrono::microseconds(1500));  // any duration type
  });
}

TEST_P(TimeP, ZeroAndNegativeReturnAtOnce) {
  run([] {
    auto t0 = Clock::now();
    gort::sleep(0ms);
    gort::sleep(-5s);
    EXPECT_LT(Clock::now() - t0, 50ms);
  });
}

// A sleeping goroutine holds no thread: with one P, many sleep at the same time.
TEST(Time, SleepersShareOneP) {
  gort::run(
      [] {
        auto t0 = Clock::now();
        gort::WaitGroup wg;
        for (int i = 0; i < 100; ++i) wg.go([] { gort::sleep(100ms); });
        wg.wait();
        auto took = Clock::now() - t0;
        EXPECT_GE(took, 100ms);
        EXPECT_LT(took, 1000ms) << "the sleeps ran one after another";
      },
      gort::Options{.max_procs = 1});
}

// (Under TSan each goroutine's first run costs milliseconds of the sanitizer's own
// fiber set-up, so that build runs a few hundred and checks only that none wakes early.)
TEST_P(TimeP, ManySleepersWakeInDeadlineOrderRoughly) {
  const int n = static_cast<int>(gort_test::scaled(10000, 300));
  run([n] {
    std::vector<std::int64_t> woke(static_cast<std::size_t>(n));
    gort::WaitGroup wg;
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      wg.go([&woke, i, t0] {
        auto d = std::chrono::milliseconds(1 + i % 50);
        gort::sleep(d);
        auto at = Clock::now() - t0;
        EXPECT_GE(at, d);
        woke[static_cast<std::size_t>(i)] = std::chrono::duration_cast<std::chrono::microseconds>(at).count();
      });
    }
    wg.wait();
    // Goroutines with a 50 ms sleep woke after those with a 1 ms sleep, on average.
    double early = 0, late = 0;
    int ne = 0, nl = 0;
    for (int i = 0; i < n; ++i) {
      if (i % 50 == 0) early += static_cast<double>(woke[static_cast<std::size_t>(i)]), ++ne;
      if (i % 50 == 49) late += static_cast<double>(woke[static_cast<std::size_t>(i)]), ++nl;
    }
    // Under sanitizers a goroutine's first run costs milliseconds (TSan's fiber set-up),
    // and goroutines woken together queue behind the unstarted ones: the early sleepers,
    // which wake while most goroutines have not started, can then wake last.  The order
    // is checked where a first run costs what it costs in production.
    if (!gort_test::small_scale()) {
      EXPECT_LT(early / ne, late / nl);
    }
  });
}

TEST(Time, SleepOnAPlainThreadSleepsIt) {
  auto t0 = Clock::now();
  gort::sleep(20ms);
  EXPECT_GE(Clock::now() - t0, 20ms);
  gort::run([] {
    auto t1 = Clock::now();
    gort::blocking([] { gort::sleep(20ms); });  // inside blocking(): the thread sleeps
    EXPECT_GE(Clock::now() - t1, 20ms);
  });
}

// A timer on a P whose goroutine never yields is run by another M.
TEST(Time, TimersOfABusyPAreNotHeldBack) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs 2 cores";
  gort::run(
      [] {
        std::atomic<bool> stop{false};
        std::atomic<std::int64_t> woke_after_us{-1};
        gort::WaitGroup wg;
        wg.go([&] {
          auto t0 = Clock::now();
          gort::sleep(10ms);
          woke_after_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        });
        wg.go([&] {
          while (!stop.load()) {  // hogs its P without ever yielding
          }
        });
        auto deadline = Clock::now() + 2s;
        while (woke_after_us.load() < 0 && Clock::now() < deadline)
          gort::blocking([] { std::this_thread::sleep_for(1ms); });
        stop = true;
        wg.wait();
        EXPECT_GE(woke_after_us.load(), 10000);
        EXPECT_LT(woke_after_us.load(), 1000000);
      },
      gort::Options{.max_procs = 2});
}

// A goroutine that yields in a loop until a timer of its own P fires: yield() must run
// the P's due timers (Go's Gosched goes through schedule()), or the loop spins forever
// with one P, where no other M exists to run them.
TEST(Time, AYieldLoopLetsItsOwnPsTimersFire) {
  gort::run(
      [] {
        std::atomic<bool> timer_fired{false}, sleeper_woke{false};
        auto t = gort::after_func(5ms, [&] { timer_fired = true; });
        gort::go([&] {
          gort::sleep(5ms);
          sleeper_woke = true;
        });
        const auto deadline = Clock::now() + 3s;
        while (!(timer_fired.load() && sleeper_woke.load()) && Clock::now() < deadline) gort::yield();
        EXPECT_TRUE(timer_fired.load());
        EXPECT_TRUE(sleeper_woke.load());
      },
      gort::Options{.max_procs = 1});
}

// The same when no M is idle: the other P is kept busy by goroutines that yield, so
// only a busy P can run the hogged P's timer (as when the kernel deschedules the M of
// a P that holds due timers, with more Ps than cores).
TEST(Time, TimersOfAHoggedPAreRunByAnotherBusyP) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs 2 cores";
  gort::run(
      [] {
        std::atomic<std::int64_t> fired_after_us{-1};
        const auto deadline = Clock::now() + 3s;
        auto busy = [&] { return fired_after_us.load() < 0 && Clock::now() < deadline; };
        gort::WaitGroup wg;
        for (int i = 0; i < 2; ++i)
          wg.go([&] {
            while (busy()) gort::yield();
          });
        wg.go([&] {
          const auto t0 = Clock::now();
          // The timer goes into this goroutine's P, which it then hogs; its function
          // starts a goroutine on the P that runs it.
          auto t = gort::after_func(5ms, [&, t0] {
            fired_after_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
          });
          while (busy()) {  // never yields
          }
        });
        wg.wait();
        EXPECT_GE(fired_after_us.load(), 5000);
        EXPECT_LT(fired_after_us.load(), 1000000);  // held back: after the 3 s deadline
      },
      gort::Options{.max_procs = 2});
}

// A pending sleep is not a deadlock; teardown cancels long sleeps at once.
TEST_P(TimeP, SleepingGoroutinesKeepTheProgramAliveAndAreAbandonedCleanly) {
  auto t0 = Clock::now();
  run([] {
    gort::WaitGroup wg;
    wg.go([] { gort::sleep(50ms); });
    wg.wait();  // only a sleeper could release main: no deadlock report
    gort::go([] { gort::sleep(1h); });
    gort::go([] {
      gort::defer d{[] {}};
      gort::sleep(24h);
    });
    gort::yield();
  });
  EXPECT_LT(Clock::now() - t0, 2s);
}

// An idle runtime with a pending timer sleeps until the timer, without spinning.
TEST_P(TimeP, WaitingForATimerBurnsNoCPU) {
  run([] {
    timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    gort::sleep(300ms);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    double cpu_ms = static_cast<double>(b.tv_sec - a.tv_sec) * 1e3 + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e6;
    EXPECT_LT(cpu_ms, 30.0);
  });
}

GORT_INSTANTIATE_PROCS(TimeP);

}  // namespace
