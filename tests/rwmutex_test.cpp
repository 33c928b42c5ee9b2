// rwmutex_test.cpp -- gort::RWMutex: shared and exclusive modes, the std wrappers,
// writer preference, no torn reads, threads and goroutines together.
// (Unlock / RUnlock of an unlocked RWMutex: sync_crash_test.)
#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RWMutexP : public gort_test::ProcsTest {};

TEST_P(RWMutexP, ReadersShareWritersExclude) {
  run([] {
    gort::RWMutex rw;
    rw.lock_shared();
    EXPECT_TRUE(rw.try_lock_shared());
    EXPECT_FALSE(rw.try_lock());
    rw.unlock_shared();
    EXPECT_FALSE(rw.try_lock());
    rw.unlock_shared();
    EXPECT_TRUE(rw.try_lock());
    EXPECT_FALSE(rw.try_lock());
    EXPECT_FALSE(rw.try_lock_shared());
    rw.unlock();
    rw.lock();
    EXPECT_FALSE(rw.try_lock_shared());
    rw.unlock();
    EXPECT_TRUE(rw.try_lock_shared());
    rw.unlock_shared();
  });
}

TEST_P(RWMutexP, ManyReadersHoldItAtOnce) {
  run([] {
    gort::RWMutex rw;
    constexpr int kReaders = 8;
    std::atomic<int> inside{0}, peak{0};
    gort::WaitGroup wg;
    for (int i = 0; i < kReaders; ++i)
      wg.go([&] {
        std::shared_lock lk(rw);
        int now = inside.fetch_add(1) + 1;
        for (int p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);) {
        }
        for (auto deadline = Clock::now() + 5s; inside.load() < kReaders && Clock::now() < deadline;)
          gort::sleep(100us);
        gort::sleep(1ms);
        inside.fetch_sub(1);
      });
    wg.wait();
    EXPECT_EQ(peak.load(), kReaders);
  });
}

TEST_P(RWMutexP, ReaderWaitsForWriterAndWriterForReaders) {
  run([] {
    gort::RWMutex rw;
    std::atomic<int> stage{0};
    rw.lock();
    gort::WaitGroup wg;
    wg.go([&] {
      std::shared_lock lk(rw);
      stage = 1;
    });
    ASSERT_TRUE(gort_test::await_parked("sync.RWMutex.RLock", 1));
    EXPECT_EQ(stage.load(), 0);
    rw.unlock();
    wg.wait();
    EXPECT_EQ(stage.load(), 1);

    rw.lock_shared();
    rw.lock_shared();
    wg.go([&] {
      std::lock_guard lk(rw);
      stage = 2;
    });
    ASSERT_TRUE(gort_test::await_parked("sync.RWMutex.Lock", 1));
    rw.unlock_shared();
    gort::sleep(2ms);
    EXPECT_EQ(stage.load(), 1);  // one reader still inside
    rw.unlock_shared();
    wg.wait();
    EXPECT_EQ(stage.load(), 2);
  });
}

// Go's rule: once a writer waits, new readers queue behind it, so a stream of
// overlapping readers cannot keep it out.
TEST_P(RWMutexP, WriterIsNotStarvedByAStreamOfReaders) {
  run([] {
    gort::RWMutex rw;
    std::atomic<bool> stop{false};
    std::atomic<long> reads{0};
    gort::WaitGroup readers;
    for (int i = 0; i < 4; ++i)
      readers.go([&] {
        while (!stop.load()) {
          std::shared_lock lk(rw);
          reads.fetch_add(1);
          gort::sleep(200us);  // readers overlap: the lock is never free of them
        }
      });
    while (reads.load() < 20) gort::sleep(100us);
    for (int i = 0; i < 10; ++i) {
      auto t0 = Clock::now();
      rw.lock();
      EXPECT_LT(Clock::now() - t0, 5s);  // in practice one reader's hold time
      rw.unlock();
      gort::sleep(1ms);
    }
    stop = true;
    readers.wait();
  });
}

// A new reader blocks while a writer waits for the current readers.
TEST_P(RWMutexP, NewReadersQueueBehindAWaitingWriter) {
  run([] {
    gort::RWMutex rw;
    std::atomic<int> order{0}, writer_at{0}, reader_at{0};
    rw.lock_shared();
    gort::WaitGroup wg;
    wg.go([&] {
      rw.lock();
      writer_at = ++order;
      rw.unlock();
    });
    ASSERT_TRUE(gort_test::await_parked("sync.RWMutex.Lock", 1));
    EXPECT_FALSE(rw.try_lock_shared());
    wg.go([&] {
      rw.lock_shared();
      reader_at = ++order;
      rw.unlock_shared();
    });
    ASSERT_TRUE(gort_test::await_parked("sync.RWMutex.RLock", 1));
    rw.unlock_shared();
    wg.wait();
    EXPECT_EQ(writer_at.load(), 1);
    EXPECT_EQ(reader_at.load(), 2);
  });
}

TEST_P(RWMutexP, ReadersNeverSeeAHalfDoneWrite) {
  run([] {
    gort::RWMutex rw;
    long x = 0, y = 0;  // writers keep x == y; TSan checks the edges
    std::atomic<int> torn{0};
    const int n = static_cast<int>(gort_test::scaled(500, 100));
    gort::WaitGroup wg;
    for (int w = 0; w < 4; ++w)
      wg.go([&] {
        for (int i = 0; i < n; ++i) {
          std::unique_lock lk(rw);
          ++x;
          if (i % 5 == 0) gort::yield();
          ++y;
        }
      });
    for (int r = 0; r < 12; ++r)
      wg.go([&] {
        for (int i = 0; i < n; ++i) {
          std::shared_lock lk(rw);
          long a = x;
          if (i % 3 == 0) gort::yield();
          long b = y;
          if (a != b) torn.fetch_add(1);
        }
      });
    wg.wait();
    EXPECT_EQ(torn.load(), 0);
    EXPECT_EQ(x, 4L * n);
    EXPECT_EQ(y, 4L * n);
  });
}

TEST_P(RWMutexP, StdWrappers) {
  run([] {
    gort::RWMutex a, b;
    {
      std::shared_lock s1(a), s2(a);
      EXPECT_TRUE(s1.owns_lock() && s2.owns_lock());
      std::unique_lock u(a, std::try_to_lock);
      EXPECT_FALSE(u.owns_lock());
    }
    {
      std::scoped_lock both(a, b);
      std::shared_lock s(b, std::try_to_lock);
      EXPECT_FALSE(s.owns_lock());
    }
    std::lock_guard g(a);
    EXPECT_TRUE(b.try_lock_shared());
    b.unlock_shared();
  });
}

TEST_P(RWMutexP, ThreadsAndGoroutinesMix) {
  run([] {
    gort::RWMutex rw;
    long x = 0, y = 0;
    std::atomic<int> torn{0};
    const int n = static_cast<int>(gort_test::scaled(2000, 200));
    auto writer = [&] {
      for (int i = 0; i < n; ++i) {
        std::lock_guard lk(rw);
        ++x;
        ++y;
      }
    };
    auto reader = [&] {
      for (int i = 0; i < n; ++i) {
        std::shared_lock lk(rw);
        if (x != y) torn.fetch_add(1);
      }
    };
    std::vector<std::thread> threads;
    threads.emplace_back(writer);
    threads.emplace_back(reader);
    gort::WaitGroup wg;
    wg.go(writer);
    wg.go(reader);
    wg.go(reader);
    wg.wait();
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    EXPECT_EQ(torn.load(), 0);
    EXPECT_EQ(x, 2L * n);

    // A thread writer blocks on goroutine readers; a goroutine reader parks on it.
    rw.lock_shared();
    std::atomic<int> stage{0};
    std::thread t([&] {
      rw.lock();
      stage = 1;
      std::this_thread::sleep_for(5ms);
      rw.unlock();
    });
    gort::sleep(5ms);
    EXPECT_EQ(stage.load(), 0);
    rw.unlock_shared();
    while (stage.load() != 1) gort::sleep(100us);
    rw.lock_shared();  // parks until the thread unlocks
    rw.unlock_shared();
    gort::blocking([&] { t.join(); });
  });
}

TEST(RWMutex, WorksWithoutARuntime) {
  gort::RWMutex rw;
  long x = 0, y = 0;
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        if (t == 0) {
          std::lock_guard lk(rw);
          ++x;
          ++y;
        } else {
          std::shared_lock lk(rw);
          if (x != y) torn.fetch_add(1);
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(x, 5000);
}

// Readers and a writer blocked when main returns are unwound promptly.
TEST_P(RWMutexP, AbandonedWaitersAreUnwound) {
  static std::atomic<int> unwound;
  unwound = 0;
  auto t0 = Clock::now();
  run([] {
    auto rw = std::make_shared<gort::RWMutex>();
    rw->lock_shared();
    struct Count {
      ~Count() { unwound.fetch_add(1); }
    };
    gort::go([rw] {
      Count c;
      std::lock_guard lk(*rw);
    });
    EXPECT_TRUE(gort_test::await_parked("sync.RWMutex.Lock", 1));
    for (int i = 0; i < 3; ++i)
      gort::go([rw] {
        Count c;
        std::shared_lock lk(*rw);
      });
    EXPECT_TRUE(gort_test::await_parked("sync.RWMutex.RLock", 3));
  });
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(unwound.load(), 4);
}

GORT_INSTANTIATE_PROCS(RWMutexP);

}  // namespace
