// semaphore_test.cpp -- gort::Semaphore (x/sync's semaphore.Weighted): bounded
// holders, weights, try_acquire, FIFO (a large acquire is not starved), a request
// larger than the capacity blocks nobody, over-release and misuse panics,
// acquire(ctx) (cancel, deadline, already done, no trace in the queue), ports of
// x/sync's tests, a stress test of cancellation, threads and goroutines together,
// abandonment.
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
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

// The order in which goroutines got through, for FIFO checks.
class Arrivals {
 public:
  void add(int who) {
    std::lock_guard lk(mu_);
    order_.push_back(who);
  }
  std::vector<int> get() {
    std::lock_guard lk(mu_);
    return order_;
  }
  // Sleeps until n have arrived (at most 10 s; the caller's EXPECTs then fail).
  void await(std::size_t n) {
    for (auto deadline = Clock::now() + 10s; Clock::now() < deadline && get().size() < n;) gort::sleep(100us);
  }

 private:
  gort::Mutex mu_;
  std::vector<int> order_;  // guarded by mu_
};

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

// x/sync's TestWeightedPanic, and more: releasing what is not held panics with
// x/sync's text, on the fast path and with waiters queued, and changes nothing.
TEST_P(SemaphoreP, ReleasingMoreThanHeldPanics) {
  run([] {
    gort::Semaphore s(2);
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(1); })), "semaphore: released more than held");
    s.acquire(1);
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(2); })), "semaphore: released more than held");
    EXPECT_TRUE(s.try_acquire(1));  // still one held, one free
    EXPECT_FALSE(s.try_acquire(1));
    std::atomic<bool> got{false};
    gort::WaitGroup wg;
    wg.go([&] {
      s.acquire(2);
      got = true;
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(3); })), "semaphore: released more than held");
    EXPECT_FALSE(got.load());  // the failed release granted nothing
    s.release(2);
    wg.wait();
    EXPECT_TRUE(got.load());
    s.release(2);
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(1); })), "semaphore: released more than held");
    EXPECT_TRUE(s.try_acquire(2));
  });
}

// x/sync's TestWeightedTryAcquire.
TEST_P(SemaphoreP, XSyncTryAcquire) {
  run([] {
    gort::Semaphore sem(2);
    std::vector<bool> tries;
    sem.acquire(1);
    tries.push_back(sem.try_acquire(1));
    tries.push_back(sem.try_acquire(1));
    sem.release(2);
    tries.push_back(sem.try_acquire(1));
    sem.acquire(1);
    tries.push_back(sem.try_acquire(1));
    EXPECT_EQ(tries, (std::vector<bool>{true, false, true, false}));
  });
}

// x/sync's TestWeightedAcquire: acquire(ctx) with a short timeout succeeds at once
// when tokens are free and fails with the deadline when they are not.
TEST_P(SemaphoreP, XSyncAcquireWithTimeout) {
  run([] {
    gort::Semaphore sem(2);
    // x/sync uses 10 ms throughout; the calls expected to succeed get 10 s here, so
    // that a stalled machine cannot turn them into failures (they do not wait).
    auto timed_acquire = [&](std::int64_t n, gort::Clock::duration timeout) {
      auto [ctx, cancel] = gort::with_timeout(gort::background(), timeout);
      std::error_code err = sem.acquire(ctx, n);
      cancel();
      EXPECT_TRUE(!err || err == gort::errc::deadline_exceeded) << err.message();
      return !err;
    };
    std::vector<bool> tries;
    ASSERT_FALSE(sem.acquire(gort::background(), 1));
    tries.push_back(timed_acquire(1, 10s));
    tries.push_back(timed_acquire(1, 10ms));
    sem.release(2);
    tries.push_back(timed_acquire(1, 10s));
    ASSERT_FALSE(sem.acquire(gort::background(), 1));
    tries.push_back(timed_acquire(1, 10ms));
    EXPECT_EQ(tries, (std::vector<bool>{true, false, true, false}));
    sem.release(2);
    EXPECT_TRUE(sem.try_acquire(2));  // the failed ones took nothing
  });
}

// x/sync's TestWeighted: every goroutine hammers with its own weight, 0 included.
TEST_P(SemaphoreP, XSyncHammer) {
  run([] {
    const int n = gort::max_procs();
    const int loops = static_cast<int>(gort_test::scaled(10000, 1000)) / n;
    gort::Semaphore sem(n);
    gort::WaitGroup wg;
    for (int i = 0; i < n; ++i)
      wg.go([&sem, i, loops] {
        std::minstd_rand rng(static_cast<unsigned>(i) + 1);
        for (int k = 0; k < loops; ++k) {
          sem.acquire(i);
          if (rng() % 8 == 0) gort::sleep(std::chrono::microseconds(rng() % 100));
          sem.release(i);
        }
      });
    wg.wait();
    EXPECT_TRUE(sem.try_acquire(n));
  });
}

// FIFO: a big acquire at the head of the queue holds back later small ones even when
// their weight is free, and try_acquire does not jump the queue either.
TEST_P(SemaphoreP, ALargeAcquireIsServedBeforeLaterSmallOnes) {
  run([] {
    gort::Semaphore s(10);
    s.acquire(10);
    Arrivals order;
    gort::WaitGroup wg;
    wg.go([&] {
      s.acquire(10);
      order.add(100);
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    for (int i = 0; i < 3; ++i) {
      wg.go([&, i] {
        s.acquire(1);
        order.add(i);
      });
      ASSERT_TRUE(gort_test::await_parked("semaphore acquire", i + 2));
    }
    s.release(5);
    gort::sleep(2ms);
    EXPECT_FALSE(s.try_acquire(1));  // 5 free, but waiters are queued
    EXPECT_TRUE(order.get().empty());
    s.release(5);  // 10 free: the big one first
    order.await(1);
    for (std::size_t i = 0; i < 3; ++i) {  // then the small ones, one permit at a time
      s.release(1);
      order.await(i + 2);
    }
    wg.wait();
    EXPECT_EQ(order.get(), (std::vector<int>{100, 0, 1, 2}));
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
    EXPECT_EQ(panic_text(gort::recover([&] { (void)s.acquire(gort::background(), -1); })),
              "semaphore: negative weight");
    EXPECT_EQ(panic_text(gort::recover([&] { (void)s.try_acquire(-1); })), "semaphore: negative weight");
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(-1); })), "semaphore: negative weight");
    EXPECT_EQ(panic_text(gort::recover([] { gort::Semaphore bad(-1); })), "semaphore: negative count");
    EXPECT_EQ(panic_text(gort::recover([&] { s.release(std::numeric_limits<std::int64_t>::max()); })),
              "semaphore: released more than held");
    EXPECT_TRUE(s.try_acquire(1));  // unchanged by the failed calls
    EXPECT_FALSE(s.try_acquire(1));
  });
}

// Weight 0 (as in x/sync): free unless waiters are queued; then it waits its turn.
TEST_P(SemaphoreP, ZeroWeights) {
  run([] {
    gort::Semaphore s(1);
    s.acquire(0);
    EXPECT_FALSE(s.acquire(gort::background(), 0));
    s.release(0);
    s.acquire(1);
    s.acquire(0);  // nobody queued: does not wait even with no token free
    EXPECT_TRUE(s.try_acquire(0));
    std::atomic<int> served{0};
    gort::WaitGroup wg;
    wg.go([&] {
      s.acquire(1);
      served.fetch_add(1);
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    EXPECT_FALSE(s.try_acquire(0));  // a waiter is queued
    wg.go([&] {
      s.acquire(0);  // behind the acquire(1)
      served.fetch_add(1);
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 2));
    s.release(0);  // the head does not fit: nothing moves
    gort::sleep(2ms);
    EXPECT_EQ(served.load(), 0);
    s.release(1);  // both: the 0 fits once the 1 is served
    wg.wait();
    EXPECT_EQ(served.load(), 2);
    s.release(1);
    EXPECT_TRUE(s.try_acquire(1));
  });
}

// ------------------------------------------------------------ larger than capacity

// A request larger than the capacity never queues: the callers after it are served
// as if it were not there (x/sync's TestWeightedDoesntBlockIfTooBig, and the plain
// acquire: it waits for ever, out of the way, until teardown unwinds it).
TEST_P(SemaphoreP, ARequestLargerThanTheCapacityBlocksNobody) {
  static std::atomic<int> unwound;
  unwound = 0;
  run([] {
    struct Count {
      ~Count() { unwound.fetch_add(1); }
    };
    gort::Semaphore s(2);
    EXPECT_FALSE(s.try_acquire(3));
    s.acquire(2);
    gort::go([&s] {
      Count c;
      s.acquire(3);
      ADD_FAILURE() << "acquire(3) of a Semaphore(2) returned";
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    auto [big_ctx, cancel_big] = gort::with_cancel(gort::background());
    std::atomic<bool> big_failed{false};
    gort::WaitGroup wg;
    wg.go([&, ctx = big_ctx] {
      EXPECT_EQ(s.acquire(ctx, 3), gort::errc::canceled);
      big_failed = true;
    });
    ASSERT_TRUE(gort_test::await_parked("chan receive", 1));
    // Queued behind nothing: a waiter is served by the next release.
    std::atomic<bool> small{false};
    wg.go([&] {
      s.acquire(1);
      small = true;
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 2));
    s.release(1);
    while (!small.load()) gort::sleep(100us);
    s.release(1);
    EXPECT_FALSE(big_failed.load());
    // x/sync's test: 2 * 3 acquire(ctx, 1)s all succeed with the big one pending.
    gort::Group g;
    for (int i = 0; i < 6; ++i)
      g.go([&s, ctx = g.context()] {
        if (std::error_code err = s.acquire(ctx, 1)) throw std::system_error(err);
        gort::sleep(1ms);
        s.release(1);
      });
    g.wait();
    EXPECT_TRUE(s.try_acquire(1));  // the small one still holds 1
    s.release(2);
    cancel_big();
    wg.wait();
    EXPECT_TRUE(big_failed.load());
    EXPECT_TRUE(s.try_acquire(2));
  });
  EXPECT_EQ(unwound.load(), 1);
}

// ------------------------------------------------------------ acquire(ctx)

TEST_P(SemaphoreP, AcquireWithContextGivesUpWhenCancelled) {
  run([] {
    gort::Semaphore s(3);
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    EXPECT_FALSE(s.acquire(ctx, 2));  // free: taken at once
    std::error_code got;
    gort::WaitGroup wg;
    wg.go([&, ctx = ctx] { got = s.acquire(ctx, 2); });
    ASSERT_TRUE(gort_test::await_parked("select", 1));
    cancel();
    wg.wait();
    EXPECT_EQ(got, gort::errc::canceled);
    EXPECT_TRUE(s.try_acquire(1));  // it took nothing: 1 free
    EXPECT_FALSE(s.try_acquire(1));
    s.release(3);
    EXPECT_TRUE(s.try_acquire(3));
  });
}

TEST_P(SemaphoreP, AcquireWithContextGivesUpAtTheDeadline) {
  run([] {
    gort::Semaphore s(1);
    s.acquire(1);
    auto [ctx, cancel] = gort::with_timeout(gort::background(), 5ms);
    EXPECT_EQ(s.acquire(ctx, 1), gort::errc::deadline_exceeded);
    EXPECT_EQ(s.acquire(ctx, 1), gort::errc::deadline_exceeded);  // done already
    cancel();
    s.release(1);
    EXPECT_TRUE(s.try_acquire(1));
    s.release(1);
  });
}

// Newest x/sync: a context that is already done fails even when the tokens are free.
TEST_P(SemaphoreP, AcquireWithADoneContextTakesNothing) {
  run([] {
    gort::Semaphore s(4);
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    cancel();
    EXPECT_EQ(s.acquire(ctx, 1), gort::errc::canceled);
    EXPECT_EQ(s.acquire(ctx, 0), gort::errc::canceled);
    EXPECT_EQ(s.acquire(ctx, 5), gort::errc::canceled);  // larger than the capacity too
    auto [late, cancel_late] = gort::with_deadline(gort::background(), Clock::now() - 1s);
    EXPECT_EQ(s.acquire(late, 1), gort::errc::deadline_exceeded);
    cancel_late();
    EXPECT_TRUE(s.try_acquire(4));
  });
}

// A cancelled waiter in the middle of the queue leaves it; the order of the others is
// kept, and the one that left is never granted.
TEST_P(SemaphoreP, ACancelledWaiterLeavesNoTrace) {
  run([] {
    gort::Semaphore s(4);
    s.acquire(4);
    Arrivals order;
    gort::WaitGroup wg;
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    wg.go([&] {
      s.acquire(2);
      order.add(1);
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    wg.go([&, ctx = ctx] {
      EXPECT_EQ(s.acquire(ctx, 1), gort::errc::canceled);
      order.add(2);
    });
    ASSERT_TRUE(gort_test::await_parked("select", 1));
    wg.go([&] {
      EXPECT_FALSE(s.acquire(gort::background(), 2));
      order.add(3);
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 2));
    cancel();
    order.await(1);
    s.release(3);  // 2 for the first; the third waits for 2
    order.await(2);
    s.release(1);  // the cancelled one holds nothing: this completes the third's 2
    wg.wait();
    EXPECT_EQ(order.get(), (std::vector<int>{2, 1, 3}));
    EXPECT_FALSE(s.try_acquire(1));
    s.release(4);
    EXPECT_TRUE(s.try_acquire(4));
  });
}

// x/sync's TestAllocCancelDoesntStarve (without its sleeps): a large request at the
// head is cancelled; the small one queued behind it fits, and must be served then,
// not at the next release.
TEST_P(SemaphoreP, XSyncAllocCancelDoesntStarve) {
  run([] {
    gort::Semaphore sem(10);
    sem.acquire(1);  // hold one "read lock"
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    gort::WaitGroup wg;
    wg.go([&, ctx = ctx] { EXPECT_EQ(sem.acquire(ctx, 10), gort::errc::canceled); });  // the "write lock"
    ASSERT_TRUE(gort_test::await_parked("select", 1));
    auto read_done = gort::make_chan<int>(1);
    wg.go([&] {
      sem.acquire(1);  // queued behind the write lock
      sem.release(1);
      read_done.send(1);
    });
    ASSERT_TRUE(gort_test::await_parked("semaphore acquire", 1));
    cancel();
    const std::size_t fired = gort::select(gort::on_recv(read_done), gort::on_recv(gort::after(10s)));
    EXPECT_EQ(fired, 0u) << "the read lock was not served after the write lock gave up";
    sem.release(1);
    wg.wait();
    EXPECT_TRUE(sem.try_acquire(10));
  });
}

// The same when the cancelled waiter is a plain thread and the one behind it a
// goroutine, and the reverse: acquire(ctx) blocks a thread that is not a goroutine.
TEST_P(SemaphoreP, AcquireWithContextFromAThread) {
  run([] {
    gort::Semaphore s(2);
    s.acquire(1);
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    std::error_code thread_err;
    std::thread t([&, ctx = ctx] { thread_err = s.acquire(ctx, 2); });
    gort::sleep(2ms);  // the thread is queued by now, or queues after the goroutine
    std::atomic<bool> got{false};
    gort::WaitGroup wg;
    wg.go([&] {
      s.acquire(1);
      got = true;
    });
    gort::sleep(1ms);
    cancel();
    wg.wait();  // served once the thread gives up (or at once, if it queued last)
    EXPECT_TRUE(got.load());
    gort::blocking([&] { t.join(); });
    EXPECT_EQ(thread_err, gort::errc::canceled);
    // A thread waiting in acquire(ctx) is granted by a goroutine's release.
    std::error_code ok_err = gort::errc::canceled;
    std::thread t2([&, ctx = gort::with_cancel(gort::background())] { ok_err = s.acquire(ctx.first, 1); });
    gort::sleep(2ms);
    s.release(1);
    gort::blocking([&] { t2.join(); });
    EXPECT_FALSE(ok_err);
    s.release(2);
    EXPECT_TRUE(s.try_acquire(2));
  });
}

// Stress: plain acquires, acquire(ctx) with contexts cancelled at random moments or
// timing out, requests larger than the capacity and try_acquires, all at once.  The
// holders never exceed the capacity, and every token comes back.
TEST_P(SemaphoreP, StressCancellationConservesTheCount) {
  run([] {
    constexpr std::int64_t kCapacity = 5;
    const int rounds = static_cast<int>(gort_test::scaled(1500, 150));
    gort::Semaphore s(kCapacity);
    std::atomic<std::int64_t> held{0};
    std::atomic<std::int64_t> peak{0};
    std::atomic<long> cancelled{0}, granted{0};
    auto hold = [&](std::int64_t w, std::minstd_rand& rng) {
      const std::int64_t h = held.fetch_add(w) + w;
      for (std::int64_t p = peak.load(); h > p && !peak.compare_exchange_weak(p, h);) {
      }
      if (rng() % 2 == 0) gort::sleep(std::chrono::microseconds(rng() % 50));  // let waiters queue
      held.fetch_sub(w);
      s.release(w);
    };
    gort::WaitGroup wg;
    for (int g = 0; g < 8; ++g)
      wg.go([&, g] {
        std::minstd_rand rng(static_cast<unsigned>(g) * 7919 + 1);
        for (int i = 0; i < rounds; ++i) {
          const auto w = static_cast<std::int64_t>(rng() % (kCapacity + 1));  // 0..capacity
          switch (rng() % 5) {
            case 0:
              s.acquire(w);
              hold(w, rng);
              break;
            case 1:
              if (s.try_acquire(w)) hold(w, rng);
              break;
            case 2: {  // cancelled by another goroutine at a random moment
              auto [ctx, cancel] = gort::with_cancel(gort::background());
              gort::go([cancel = cancel, d = rng() % 100] {
                gort::sleep(std::chrono::microseconds(d));
                cancel();
              });
              if (s.acquire(ctx, w)) {
                cancelled.fetch_add(1);
              } else {
                granted.fetch_add(1);
                hold(w, rng);
              }
              break;
            }
            case 3: {  // a deadline
              auto [ctx, cancel] = gort::with_timeout(gort::background(), std::chrono::microseconds(rng() % 100));
              if (s.acquire(ctx, w)) {
                cancelled.fetch_add(1);
              } else {
                granted.fetch_add(1);
                hold(w, rng);
              }
              cancel();
              break;
            }
            default: {  // larger than the capacity: always gives up
              auto [ctx, cancel] = gort::with_timeout(gort::background(), std::chrono::microseconds(rng() % 100));
              EXPECT_EQ(s.acquire(ctx, kCapacity + 1), gort::errc::deadline_exceeded);
              cancel();
              break;
            }
          }
        }
      });
    wg.wait();
    EXPECT_LE(peak.load(), kCapacity);
    EXPECT_EQ(held.load(), 0);
    EXPECT_TRUE(s.try_acquire(kCapacity));  // every token is back
    EXPECT_FALSE(s.try_acquire(1));
    EXPECT_GT(granted.load() + cancelled.load(), 0);
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

// acquire(ctx) on threads outside gort::run: cancelled by another thread, or granted.
TEST(Semaphore, AcquireWithContextWorksWithoutARuntime) {
  gort::Semaphore s(1);
  s.acquire(1);
  auto [ctx, cancel] = gort::with_cancel(gort::background());
  std::error_code err;
  std::thread t([&, ctx = ctx] { err = s.acquire(ctx, 1); });
  std::this_thread::sleep_for(2ms);
  cancel();
  t.join();
  EXPECT_EQ(err, gort::errc::canceled);
  auto [ctx2, cancel2] = gort::with_cancel(gort::background());
  err = gort::errc::canceled;
  std::thread t2([&, ctx = ctx2] { err = s.acquire(ctx, 1); });
  std::this_thread::sleep_for(2ms);
  s.release(1);
  t2.join();
  EXPECT_FALSE(err);
  cancel2();
  s.release(1);
  EXPECT_TRUE(s.try_acquire(1));
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
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    gort::go([s, ctx = ctx] {
      Count c;
      (void)s->acquire(ctx, 1);
      ADD_FAILURE() << "an abandoned acquire(ctx) returned";
    });
    EXPECT_TRUE(gort_test::await_parked("select", 1));
  });
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(unwound.load(), 5);
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
