// cond_test.cpp -- gort::Cond: signal wakes one (the oldest), broadcast wakes all, no
// lost and no early wake-ups, producer/consumer, threads and goroutines together,
// unwinding of abandoned waiters.
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class CondP : public gort_test::ProcsTest {};

TEST_P(CondP, SignalWakesOneBroadcastWakesAll) {
  run([] {
    gort::Mutex mu;
    gort::Cond cv(mu);
    EXPECT_EQ(&cv.mutex(), &mu);
    int tokens = 0, woke = 0;
    gort::WaitGroup wg;
    for (int i = 0; i < 5; ++i)
      wg.go([&] {
        std::unique_lock lk(mu);
        while (tokens == 0) cv.wait();
        --tokens;
        ++woke;
      });
    ASSERT_TRUE(gort_test::await_parked("sync.Cond.Wait", 5));
    {
      std::lock_guard lk(mu);
      tokens = 1;
    }
    cv.signal();
    while (gort_test::parked_in("sync.Cond.Wait") > 4) gort::sleep(100us);
    gort::sleep(2ms);
    {
      std::lock_guard lk(mu);
      EXPECT_EQ(woke, 1);
      tokens = 4;
    }
    cv.broadcast();
    wg.wait();
    EXPECT_EQ(woke, 5);
  });
}

// Signals and broadcasts with nobody waiting are not remembered (Go's semantics).
TEST_P(CondP, NotifyingNobodyIsNotRemembered) {
  run([] {
    gort::Mutex mu;
    gort::Cond cv(mu);
    cv.signal();
    cv.broadcast();
    cv.signal();
    std::atomic<bool> woke{false};
    gort::WaitGroup wg;
    wg.go([&] {
      std::unique_lock lk(mu);
      cv.wait();
      woke = true;
    });
    ASSERT_TRUE(gort_test::await_parked("sync.Cond.Wait", 1));
    gort::sleep(2ms);
    EXPECT_FALSE(woke.load());
    cv.signal();
    wg.wait();
    EXPECT_TRUE(woke.load());
  });
}

// signal() wakes the waiters in the order they started waiting (ticket order).
TEST_P(CondP, SignalWakesTheOldestWaiter) {
  run([] {
    gort::Mutex mu;
    gort::Cond cv(mu);
    std::vector<int> order;  // guarded by mu
    gort::WaitGroup wg;
    constexpr int kWaiters = 5;
    for (int i = 0; i < kWaiters; ++i) {
      wg.go([&, i] {
        std::unique_lock lk(mu);
        cv.wait();
        order.push_back(i);
      });
      ASSERT_TRUE(gort_test::await_parked("sync.Cond.Wait", i + 1));  // i waits before i+1 starts
    }
    for (int i = 0; i < kWaiters; ++i) {
      cv.signal();
      for (auto deadline = Clock::now() + 10s; Clock::now() < deadline; gort::sleep(100us)) {
        std::lock_guard lk(mu);
        if (order.size() == static_cast<std::size_t>(i + 1)) break;
      }
    }
    wg.wait();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  });
}

// A signal that follows a change of the condition reaches a waiter that has taken
// its ticket but not gone to sleep yet: ping-pong with no lost wake-up.
TEST_P(CondP, PingPongLosesNoWakeUp) {
  run([] {
    gort::Mutex mu;
    gort::Cond cv(mu);
    int turn = 0;  // guarded by mu
    const int rounds = static_cast<int>(gort_test::scaled(20000, 2000));
    gort::WaitGroup wg;
    for (int me = 0; me < 2; ++me)
      wg.go([&, me] {
        for (int i = 0; i < rounds; ++i) {
          std::unique_lock lk(mu);
          while (turn % 2 != me) cv.wait();
          ++turn;
          cv.signal();
        }
      });
    wg.wait();
    EXPECT_EQ(turn, 2 * rounds);
  });
}

TEST_P(CondP, BoundedBufferWithGoroutinesAndThreads) {
  run([] {
    gort::Mutex mu;
    gort::Cond not_full(mu), not_empty(mu);
    std::deque<long> buf;  // guarded by mu
    constexpr std::size_t kCap = 4;
    const long per_producer = gort_test::scaled(5000, 500);
    constexpr int kProducers = 4;  // 2 goroutines, 2 threads
    long sum = 0, count = 0;
    auto produce = [&](long base) {
      for (long i = 0; i < per_producer; ++i) {
        std::unique_lock lk(mu);
        while (buf.size() == kCap) not_full.wait();
        buf.push_back(base + i);
        not_empty.signal();
      }
    };
    auto consume = [&](long n) {
      for (long i = 0; i < n; ++i) {
        std::unique_lock lk(mu);
        while (buf.empty()) not_empty.wait();
        sum += buf.front();
        ++count;
        buf.pop_front();
        not_full.signal();
      }
    };
    const long total = kProducers * per_producer;
    std::vector<std::thread> threads;
    threads.emplace_back(produce, 2 * per_producer);
    threads.emplace_back(produce, 3 * per_producer);
    threads.emplace_back(consume, total / 2);
    gort::WaitGroup wg;
    wg.go(produce, 0L);
    wg.go(produce, per_producer);
    wg.go(consume, total / 4);
    wg.go(consume, total / 4);
    wg.wait();
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    EXPECT_EQ(count, total);
    EXPECT_EQ(sum, total * (total - 1) / 2);
  });
}

TEST(Cond, WorksWithoutARuntime) {
  gort::Mutex mu;
  gort::Cond cv(mu);
  bool ready = false;
  int woke = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&] {
      std::unique_lock lk(mu);
      while (!ready) cv.wait();
      ++woke;
    });
  std::this_thread::sleep_for(5ms);
  {
    std::lock_guard lk(mu);
    ready = true;
  }
  cv.broadcast();
  for (auto& t : threads) t.join();
  EXPECT_EQ(woke, 3);
}

// Waiters abandoned at teardown are unwound; wait() relocks the mutex on the way
// out, so their std::unique_lock guards unlock a mutex they hold (no fatal error).
TEST_P(CondP, AbandonedWaitersUnwindWithTheMutexHeld) {
  static std::atomic<int> unwound;
  unwound = 0;
  auto t0 = Clock::now();
  run([] {
    struct Shared {
      gort::Mutex mu;
      gort::Cond cv{mu};
    };
    auto s = std::make_shared<Shared>();
    struct Count {
      ~Count() { unwound.fetch_add(1); }
    };
    for (int i = 0; i < 4; ++i)
      gort::go([s] {
        Count c;
        std::unique_lock lk(s->mu);
        for (;;) s->cv.wait();
      });
    EXPECT_TRUE(gort_test::await_parked("sync.Cond.Wait", 4));
    // One more holds the mutex while parked elsewhere: a waiter's relock then waits.
    gort::go([s] {
      Count c;
      std::unique_lock lk(s->mu);
      gort::sleep(1h);
    });
    EXPECT_TRUE(gort_test::await_parked("sleep", 1));
  });
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(unwound.load(), 5);
}

GORT_INSTANTIATE_PROCS(CondP);

}  // namespace
