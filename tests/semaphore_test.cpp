// semaphore_test.cpp -- gort::Semaphore: bounded holders, weights, try_acquire, FIFO
// (a large acquire is not starved), counting release, misuse panics, threads and
// goroutines together, abandonment.
#include <atomic>
#include <chrono>
#include <limits>
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

class SemaphoreP : public gort_test::ProcsTest {};

std::string panic_text(const std::optional<gort::Panic>& p) { return p ? p->what() : "<no panic>"; }

TEST_P(SemaphoreP, AtMostNHolders) {
  run([] {
    gort::Semaphore sem(3);
    std::atomic<int> cur{0}, peak{0};
    gort::WaitGroup wg;
    for (int i = 0; i < 30; ++i)
      wg.go([&] {
        sem.acquire();
        int c = cur.fetch_add(1) + 1;
        for (int p = peak.load(); c > p && !peak.compare_exchange_weak(p, c);) {
        }
        // Hold until three are in at once (they must get there), at most 2 s.
        for (auto deadline = Clock::now() + 2s; peak.load() < 3 && Clock::now() < deadline;) gort::sleep(100us);
        gort::sleep(100us);
        cur.fetch_sub(1);
        sem.release();
      });
    wg.wait();
    EXPECT_EQ(peak.load(), 3);
    EXPECT_TRUE(sem.try_acquire(3));
    EXPECT_FALSE(sem.try_acquire(1));
  });
}

TEST_P(SemaphoreP, WeightsAndTryAcquire) {
  run([] {
    gort::Semaphore s(10);
    EXPECT_TRUE(s.try_acquire(0));
    s.acquire(7);
    EXPECT_FALSE(s.try_acquire(4));
    EXPECT_TRUE(s.try_acquire(3));
    EXPECT_FALSE(s.try_acquire());
    std::atomic<bool> got{false};
    gort::WaitGroup wg;
    wg.go([&] {
      s.acquire(5);
      got = true;
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    s.release(3);
    gort::sleep(2ms);
    EXPECT_FALSE(got.load());  // 3 free, 5 wanted
    s.release(2);
    wg.wait();
    EXPECT_TRUE(got.load());
    s.release(5);
    s.release(5);
    EXPECT_TRUE(s.try_acquire(10));
    EXPECT_FALSE(s.try_acquire(1));
  });
}

// Release without a matching acquire raises the count: Semaphore(0) as a signal.
TEST_P(SemaphoreP, ReleaseBeyondTheInitialCount) {
  run([] {
    gort::Semaphore done(0);
    std::atomic<int> finished{0};
    for (int i = 0; i < 8; ++i)
      gort::go([&] {
        finished.fetch_add(1);
        done.release();
      });
    done.acquire(8);
    EXPECT_EQ(finished.load(), 8);
    gort::Semaphore s(1);
    s.release(1000);
    EXPECT_TRUE(s.try_acquire(1001));
  });
}

// FIFO: a big acquire at the head of the queue holds back later small ones even when
// their weight is free, and try_acquire does not jump the queue either.
TEST_P(SemaphoreP, ALargeAcquireIsServedBeforeLaterSmallOnes) {
  run([] {
    gort::Semaphore s(10);
    s.acquire(10);
    std::vector<int> order;  // guarded by mu
    gort::Mutex mu;
    gort::WaitGroup wg;
    wg.go([&] {
      s.acquire(10);
      std::lock_guard lk(mu);
      order.push_back(100);
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    for (int i = 0; i < 3; ++i) {
      wg.go([&, i] {
        s.acquire(1);
        std::lock_guard lk(mu);
        order.push_back(i);
      });
      ASSERT_TRUE(gort_test::await_parked("semaphore acquire", i + 2));
    }
    s.release(5);
    gort::sleep(2ms);
    EXPECT_FALSE(s.try_acquire(1));  // 5 free, but waiters are queued
    {
      std::lock_guard lk(mu);
      EXPECT_TRUE(order.empty());
    }
    auto await_order = [&](std::size_t n) {
      for (auto deadline = Clock::now() + 10s; Clock::now() < deadline; gort::sleep(100us)) {
        std::lock_guard lk(mu);
        if (order.size() >= n) return;
      }
    };
    s.release(5);  // 10 free: the big one first
    await_order(1);
    for (std::size_t i = 0; i < 3; ++i) {  // then the small ones, one permit at a time
      s.release(1);
      await_order(i + 2);
    }
    wg.wait();
    EXPECT_EQ(order, (std::vector<int>{100, 0, 1, 2}));
    EXPECT_FALSE(s.try_acquire(1));
    s.release(10);
    EXPECT_TRUE(s.try_acquire(10));
  });
}

// A stream of small acquirers that always keep some permits taken cannot keep out a
// caller that wants them all.
TEST_P(SemaphoreP, ALargeAcquireIsNotStarvedByAStreamOfSmallOnes) {
  run([] {
    constexpr int kPermits = 4;
    gort::Semaphore s(kPermits);
    std::atomic<bool> stop{false};
    std::atomic<long> rounds{0};
    gort::WaitGroup wg;
    for (int i = 0; i < 6; ++i)
      wg.go([&] {
        while (!stop.load()) {
          s.acquire(1);
          rounds.fetch_add(1);
          gort::sleep(100us);
          s.release(1);
        }
      });
    while (rounds.load() < 50) gort::sleep(100us);
    for (int i = 0; i < 5; ++i) {
      auto t0 = Clock::now();
      s.acquire(kPermits);
      EXPECT_LT(Clock::now() - t0, 5s);
      s.release(kPermits);
      gort::sleep(1ms);
    }
    stop = true;
    wg.wait();
  });
}

TEST_P(SemaphoreP, MisusePanics) {
  run([] {
    gort::Semaphore s(1);
    EXPECT_EQ(panic_text(gort::recover([&] { s.acquire(-1); })), "semaphore: negative weight");
    EXPECT_EQ(panic_text(gort::recover([&] { (void)s.try_acquire(-1); })), "semaphore: negative weight");
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(-1); })), "semaphore: negative weight");
    EXPECT_EQ(panic_text(gort::recover([] { gort::Semaphore bad(-1); })), "semaphore: negative count");
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(std::numeric_limits<std::int64_t>::max()); })),
              "semaphore: count overflow");
    EXPECT_TRUE(s.try_acquire(1));  // unchanged by the failed calls
    EXPECT_FALSE(s.try_acquire(1));
  });
}

TEST_P(SemaphoreP, ThreadsAndGoroutinesMix) {
  run([] {
    gort::Semaphore s(2);
    std::atomic<int> cur{0}, peak{0};
    const int n = static_cast<int>(gort_test::scaled(500, 50));
    auto body = [&] {
      for (int i = 0; i < n; ++i) {
        s.acquire();
        int c = cur.fetch_add(1) + 1;
        for (int p = peak.load(); c > p && !peak.compare_exchange_weak(p, c);) {
        }
        if (i % 8 == 0) std::this_thread::yield();
        cur.fetch_sub(1);
        s.release();
      }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) threads.emplace_back(body);
    gort::WaitGroup wg;
    for (int i = 0; i < 4; ++i) wg.go(body);
    wg.wait();
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    EXPECT_LE(peak.load(), 2);
    EXPECT_TRUE(s.try_acquire(2));

    // A thread blocked in acquire is released by a goroutine, and the reverse.
    std::atomic<bool> got{false};
    std::thread t([&] {
      s.acquire(2);
      got = true;
      std::this_thread::sleep_for(2ms);
      s.release(2);
    });
    gort::sleep(2ms);
    EXPECT_FALSE(got.load());
    s.release(2);
    while (!got.load()) gort::sleep(100us);
    s.acquire(2);  // parks until the thread releases
    gort::blocking([&] { t.join(); });
  });
}

TEST(Semaphore, WorksWithoutARuntime) {
  gort::Semaphore s(1);
  long counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        s.acquire();
        ++counter;
        s.release();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 20000);
}

// Abandoned waiters are unwound; a holder's release during its unwinding may grant
// a waiter that is then unwound too: its permits come back, and a waiter cancelled
// at the head of the queue does not block the Semaphore in the next run.
TEST_P(SemaphoreP, AbandonedWaitersAreUnwoundAndPermitsAreKept) {
  static std::atomic<int> unwound;
  unwound = 0;
  auto s = std::make_shared<gort::Semaphore>(3);
  auto t0 = Clock::now();
  run([s] {
    struct Count {
      ~Count() { unwound.fetch_add(1); }
    };
    gort::go([s] {
      Count c;
      s->acquire(3);
      gort::defer give_back{[&] { s->release(3); }};
      gort::sleep(1h);
    });
    while (s->try_acquire(1)) {
      s->release(1);
      gort::sleep(100us);
    }
    for (int w : {2, 1, 3})
      gort::go([s, w] {
        Count c;
        s->acquire(w);
        ADD_FAILURE() << "an abandoned waiter got its permits";
      });
    EXPECT_TRUE(gort_test::await_parked("semaphore acquire", 3));
  });
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(unwound.load(), 4);
  run([s] {
    s->acquire(3);  // all three permits are back, whatever the teardown order
    s->release(3);
    gort::WaitGroup wg;
    for (int i = 0; i < 4; ++i)
      wg.go([s] {
        for (int k = 0; k < 100; ++k) {
          s->acquire(2);
          gort::yield();
          s->release(2);
        }
      });
    wg.wait();
    EXPECT_TRUE(s->try_acquire(3));
  });
}

GORT_INSTANTIATE_PROCS(SemaphoreP);

}  // namespace
