// mutex_test.cpp -- gort::Mutex: exclusion, the std lock wrappers, parking, unlock by
// another party, starvation mode, threads and goroutines on one Mutex, abandonment.
// (Unlock of an unlocked mutex: sync_crash_test.)
#include <atomic>
#include <chrono>
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

class MutexP : public gort_test::ProcsTest {};

TEST_P(MutexP, LockTryLockUnlock) {
  run([] {
    gort::Mutex mu;
    EXPECT_TRUE(mu.try_lock());
    EXPECT_FALSE(mu.try_lock());
    mu.unlock();
    mu.lock();
    EXPECT_FALSE(mu.try_lock());
    mu.unlock();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(MutexP, ExcludesUnderContention) {
  run([] {
    gort::Mutex mu;
    long counter = 0;  // guarded by mu; TSan checks the happens-before edges
    std::atomic<int> inside{0};
    std::atomic<bool> overlap{false};
    constexpr int kGoroutines = 16;
    const long n = gort_test::scaled(20000, 1000);
    gort::WaitGroup wg;
    for (int g = 0; g < kGoroutines; ++g)
      wg.go([&] {
        for (long i = 0; i < n; ++i) {
          std::lock_guard lk(mu);
          if (inside.fetch_add(1) != 0) overlap = true;
          long v = counter;
          if (i % 64 == 0) gort::yield();  // other goroutines run, and queue on mu
          counter = v + 1;
          inside.fetch_sub(1);
        }
      });
    wg.wait();
    EXPECT_EQ(counter, kGoroutines * n);
    EXPECT_FALSE(overlap.load());
  });
}

// A goroutine lock, unlike std::mutex: held across parks, resumed on any thread.
TEST_P(MutexP, HeldAcrossParks) {
  run([] {
    gort::Mutex mu;
    long counter = 0;
    gort::WaitGroup wg;
    for (int g = 0; g < 8; ++g)
      wg.go([&] {
        for (int i = 0; i < 20; ++i) {
          std::lock_guard lk(mu);
          long v = counter;
          gort::sleep(50us);
          counter = v + 1;
        }
      });
    wg.wait();
    EXPECT_EQ(counter, 160);
  });
}

TEST_P(MutexP, StdLockWrappers) {
  run([] {
    gort::Mutex a, b;
    {
      std::unique_lock ul(a, std::try_to_lock);
      EXPECT_TRUE(ul.owns_lock());
      EXPECT_FALSE(a.try_lock());
      ul.unlock();
      EXPECT_TRUE(ul.try_lock());
    }
    {
      std::unique_lock ul(a, std::defer_lock);
      EXPECT_FALSE(ul.owns_lock());
      std::lock(ul, b);
      EXPECT_FALSE(b.try_lock());
      b.unlock();
    }
    EXPECT_TRUE(a.try_lock());
    a.unlock();

    // std::scoped_lock on two mutexes in opposite orders: no deadlock.
    long both = 0;
    gort::WaitGroup wg;
    for (int g = 0; g < 4; ++g)
      wg.go([&, g] {
        for (int i = 0; i < 300; ++i) {
          auto body = [&] {
            ++both;
            if (i % 7 == 0) gort::yield();
          };
          if (g % 2 == 0) {
            std::scoped_lock lk(a, b);
            body();
          } else {
            std::scoped_lock lk(b, a);
            body();
          }
        }
      });
    wg.wait();
    EXPECT_EQ(both, 1200);
  });
}

// A blocked lock() parks the goroutine: its P runs others, and the dump shows it.
TEST_P(MutexP, BlockedLockParksTheGoroutine) {
  run([] {
    gort::Mutex mu;
    std::atomic<int> stage{0};
    mu.lock();
    gort::WaitGroup wg;
    wg.go([&] {
      stage = 1;
      mu.lock();
      stage = 2;
      mu.unlock();
    });
    ASSERT_TRUE(gort_test::await_parked("sync.Mutex.Lock", 1));
    EXPECT_EQ(stage.load(), 1);
    std::atomic<int> ran{0};  // other goroutines still run, even at one P
    gort::WaitGroup others;
    for (int i = 0; i < 10; ++i) others.go([&] { ++ran; });
    others.wait();
    EXPECT_EQ(ran.load(), 10);
    EXPECT_EQ(stage.load(), 1);
    mu.unlock();
    wg.wait();
    EXPECT_EQ(stage.load(), 2);
  });
}

TEST_P(MutexP, UnlockedByAnotherGoroutine) {
  run([] {
    gort::Mutex mu;
    for (int round = 0; round < 50; ++round) {
      mu.lock();
      gort::WaitGroup wg;
      wg.go([&] { mu.unlock(); });
      wg.wait();
      EXPECT_TRUE(mu.try_lock());
      mu.unlock();
    }
    // A waiter is woken by an unlock from a third goroutine.
    mu.lock();
    std::atomic<bool> got{false};
    gort::WaitGroup waiter;
    waiter.go([&] {
      mu.lock();
      got = true;
      mu.unlock();
    });
    ASSERT_TRUE(gort_test::await_parked("sync.Mutex.Lock", 1));
    gort::WaitGroup unlocker;
    unlocker.go([&] { mu.unlock(); });
    waiter.wait();
    unlocker.wait();
    EXPECT_TRUE(got.load());
  });
}

// Starvation mode: a party that relocks at once cannot keep a waiter out for long;
// once the waiter has waited 1 ms the mutex is handed to it.  The hog is a thread
// here, so that the test does not depend on how a cooperative scheduler shares a P
// with a goroutine that never yields (next test).
TEST_P(MutexP, AWaiterIsNotStarvedByAThreadThatRelocksAtOnce) {
  run([] {
    gort::Mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<long> rounds{0};
    std::thread hog([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        mu.lock();
        rounds.fetch_add(1, std::memory_order_relaxed);
        mu.unlock();
      }
    });
    while (rounds.load() < 1000) gort::sleep(100us);
    for (int i = 0; i < 20; ++i) {
      auto t0 = Clock::now();
      mu.lock();
      EXPECT_LT(Clock::now() - t0, 5s);  // in practice ~1 ms; the margin is for loaded machines
      mu.unlock();
      gort::sleep(200us);
    }
    stop = true;
    gort::blocking([&] { hog.join(); });
    // Back in normal mode: the fast path works again.
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

// The same between goroutines on different Ps (at one P the hog would simply keep the
// P: scheduling is cooperative).  main does not sleep while the hog runs: a timer on
// the hog's P would depend on other Ms to fire it.
TEST_P(MutexP, AWaiterIsNotStarvedByAGoroutineThatRelocksAtOnce) {
  if (GetParam() == 1) GTEST_SKIP() << "needs a second P";
  run([] {
    gort::Mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<long> rounds{0};
    gort::WaitGroup wg;
    wg.go([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        mu.lock();
        rounds.fetch_add(1, std::memory_order_relaxed);
        mu.unlock();
      }
    });
    for (auto deadline = Clock::now() + 10s; rounds.load() < 1000 && Clock::now() < deadline;)
      std::this_thread::yield();  // until another P has taken the hog
    EXPECT_GE(rounds.load(), 1000);
    for (int i = 0; i < 20; ++i) {
      auto t0 = Clock::now();
      mu.lock();
      EXPECT_LT(Clock::now() - t0, 5s);
      mu.unlock();
    }
    stop = true;
    wg.wait();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(MutexP, ThreadsAndGoroutinesShareAMutex) {
  run([] {
    gort::Mutex mu;
    long counter = 0;
    const long n = gort_test::scaled(20000, 1000);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
      threads.emplace_back([&] {
        for (long i = 0; i < n; ++i) {
          std::lock_guard lk(mu);
          ++counter;
        }
      });
    gort::WaitGroup wg;
    for (int g = 0; g < 4; ++g)
      wg.go([&] {
        for (long i = 0; i < n; ++i) {
          std::lock_guard lk(mu);
          long v = counter;
          if (i % 128 == 0) gort::yield();
          counter = v + 1;
        }
      });
    wg.wait();
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    EXPECT_EQ(counter, 6 * n);
  });
}

// Hand-overs in both directions: a thread blocked on a goroutine's mutex, a goroutine
// parked on a thread's.
TEST_P(MutexP, ThreadWaitsForGoroutineAndGoroutineForThread) {
  run([] {
    gort::Mutex mu;
    std::atomic<int> stage{0};
    mu.lock();  // held by the main goroutine
    std::thread t([&] {
      stage = 1;
      mu.lock();  // blocks the thread
      stage = 2;
      std::this_thread::sleep_for(5ms);
      mu.unlock();
    });
    while (stage.load() != 1) gort::sleep(100us);
    gort::sleep(5ms);
    EXPECT_EQ(stage.load(), 1);
    mu.unlock();
    while (stage.load() != 2) gort::sleep(100us);
    mu.lock();  // parks until the thread unlocks
    mu.unlock();
    gort::blocking([&] { t.join(); });

    std::thread holder([&] {
      mu.lock();
      stage = 3;
      while (stage.load() != 4) std::this_thread::sleep_for(100us);
      mu.unlock();
    });
    while (stage.load() != 3) gort::sleep(100us);
    std::atomic<bool> got{false};
    gort::WaitGroup wg;
    wg.go([&] {
      mu.lock();
      got = true;
      mu.unlock();
    });
    ASSERT_TRUE(gort_test::await_parked("sync.Mutex.Lock", 1));
    stage = 4;
    wg.wait();
    EXPECT_TRUE(got.load());
    gort::blocking([&] { holder.join(); });
  });
}

TEST(Mutex, WorksWithoutARuntime) {
  gort::Mutex mu;
  long counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        std::lock_guard lk(mu);
        ++counter;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 80000);
}

// Goroutines blocked in lock() when main returns are unwound (the holder's guard
// unlocks during the unwinding and wakes one of them, which is unwound too).  The
// Mutex works in the next run, also when teardown handed it to a waiter in
// starvation mode.
gort::Mutex g_shared;  // constant-initialised, outlives every run

struct Live {
  static inline std::atomic<int> count{0};
  Live() { count.fetch_add(1); }
  Live(const Live&) { count.fetch_add(1); }
  ~Live() { count.fetch_sub(1); }
};

TEST_P(MutexP, AbandonedWaitersAreUnwoundAndTheMutexStaysUsable) {
  for (bool starving : {false, true}) {
    Live::count = 0;
    auto t0 = Clock::now();
    static std::atomic<bool> held, relock;  // static: the holder outlives main
    held = relock = false;
    run([starving] {
      gort::go([l = Live{}] {
        std::unique_lock lk(g_shared);
        held = true;
        while (!relock.load()) gort::sleep(100us);
        // Wake the waiter and take the mutex back before it runs: having waited more
        // than 1 ms, it switches the mutex to starvation mode and queues again.
        lk.unlock();
        lk.lock();
        gort::sleep(1h);
      });
      while (!held.load()) gort::sleep(100us);
      const int waiters = starving ? 1 : 4;
      for (int i = 0; i < waiters; ++i)
        gort::go([l = Live{}] {
          Live on_stack;
          std::lock_guard lk(g_shared);
          gort::sleep(1h);  // (rarely, at several Ps, a woken waiter wins the race)
        });
      EXPECT_TRUE(gort_test::await_parked("sync.Mutex.Lock", waiters));
      if (starving) {
        gort::sleep(2ms);
        relock = true;
        EXPECT_TRUE(gort_test::await_parked("sync.Mutex.Lock", 1));
        gort::sleep(1ms);
      }
      // main returns: the holder and the waiters are abandoned
    });
    EXPECT_LT(Clock::now() - t0, 5s);
    EXPECT_EQ(Live::count.load(), 0);
    run([] {
      g_shared.lock();  // (lock, not try_lock: it may still be in starvation mode)
      g_shared.unlock();
      long counter = 0;
      gort::WaitGroup wg;
      for (int g = 0; g < 4; ++g)
        wg.go([&] {
          for (int i = 0; i < 500; ++i) {
            std::lock_guard lk(g_shared);
            long v = counter;
            if (i % 16 == 0) gort::yield();
            counter = v + 1;
          }
        });
      wg.wait();
      EXPECT_EQ(counter, 2000);
      EXPECT_TRUE(g_shared.try_lock());
      g_shared.unlock();
    });
  }
}

// A goroutine already unwinding at teardown whose destructor locks a mutex that
// another abandoned goroutine holds: the lock returns (cancelled park) and its unlock
// is not reported as an unlock of an unlocked mutex.
TEST_P(MutexP, LockInADestructorDuringTeardownReturns) {
  auto mu = std::make_shared<gort::Mutex>();
  auto t0 = Clock::now();
  run([mu] {
    mu->lock();
    gort::go([mu] {
      struct LocksOnExit {
        std::shared_ptr<gort::Mutex> mu;
        ~LocksOnExit() {
          mu->lock();
          mu->unlock();
        }
      } guard{mu};
      gort::sleep(1h);
    });
    gort::sleep(5ms);  // main returns holding mu
  });
  EXPECT_LT(Clock::now() - t0, 5s);
}

GORT_INSTANTIATE_PROCS(MutexP);

}  // namespace
