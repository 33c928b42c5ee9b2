// waitgroup_test.cpp -- gort::WaitGroup, from goroutines and from plain threads.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;

class WaitGroupP : public gort_test::ProcsTest {};

std::string panic_text(const std::optional<gort::Panic>& p) { return p ? p->what() : "<no panic>"; }

TEST_P(WaitGroupP, ZeroCounterDoesNotBlock) {
  run([] {
    gort::WaitGroup wg;
    wg.wait();
    wg.add(0);
    wg.wait();
  });
}

TEST_P(WaitGroupP, JoinsAllAndReleasesEveryWaiterAtZero) {
  run([] {
    gort::WaitGroup gate, waiters;
    std::atomic<int> released{0};
    gate.add(2);
    for (int i = 0; i < 20; ++i)
      waiters.go([&] {
        gate.wait();
        released.fetch_add(1);
      });
    for (int i = 0; i < 50; ++i) gort::yield();
    EXPECT_EQ(released.load(), 0);
    gate.done();
    for (int i = 0; i < 50; ++i) gort::yield();
    EXPECT_EQ(released.load(), 0);
    gate.done();
    waiters.wait();
    EXPECT_EQ(released.load(), 20);
  });
}

TEST_P(WaitGroupP, ReusableAfterWait) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<int> sum{0};
    for (int round = 0; round < 20; ++round) {
      for (int k = 1; k <= 10; ++k) wg.go([&sum](int v) { sum.fetch_add(v); }, k);
      wg.wait();
    }
    EXPECT_EQ(sum.load(), 20 * 55);
  });
}

TEST_P(WaitGroupP, NegativeCounterPanics) {
  run([] {
    gort::WaitGroup a;
    EXPECT_EQ(panic_text(gort::recover([&] { a.done(); })), "sync: negative WaitGroup counter");
    gort::WaitGroup b;
    b.add(1);
    EXPECT_EQ(panic_text(gort::recover([&] { b.add(-2); })), "sync: negative WaitGroup counter");
  });
}

TEST_P(WaitGroupP, GoRecordsDoneEvenWhenTheFunctionThrows) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<int> n{0};
    wg.go([&] {
      gort::recover([&] {
        n = 1;
        gort::panic("inside");
      });
    });
    wg.wait();
    EXPECT_EQ(n.load(), 1);
  });
}

TEST_P(WaitGroupP, GoWithUpToFiveArguments) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<int> sum{0};
    wg.go([&](int a, int b, int c, int d, int e) { sum += a + b + c + d + e; }, 1, 2, 3, 4, 5);
    wg.go([&](int a) { sum += a; }, 100);
    wg.wait();
    EXPECT_EQ(sum.load(), 115);
  });
}

// A thread that is not a goroutine waits; goroutines call done(), and the reverse.
TEST_P(WaitGroupP, ThreadsAndGoroutinesMix) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<int> n{0};
    wg.add(10);
    std::thread waiter([&] {
      wg.wait();
      EXPECT_EQ(n.load(), 10);
    });
    for (int i = 0; i < 10; ++i)
      gort::go([&] {
        n.fetch_add(1);
        wg.done();
      });
    gort::blocking([&] { waiter.join(); });

    gort::WaitGroup from_threads;
    from_threads.add(4);
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
      ts.emplace_back([&] {
        std::this_thread::sleep_for(5ms);
        from_threads.done();
      });
    from_threads.wait();  // a goroutine parked until threads finish
    gort::blocking([&] {
      for (auto& t : ts) t.join();
    });
  });
}

TEST(WaitGroup, WorksWithoutARuntime) {
  gort::WaitGroup wg;
  wg.add(2);
  std::thread a([&] { wg.done(); }), b([&] { wg.done(); });
  wg.wait();
  a.join();
  b.join();
}

GORT_INSTANTIATE_PROCS(WaitGroupP);

}  // namespace

namespace {

// main returns while a goroutine waits on a WaitGroup in its own frame and the members
// it started are parked: teardown unwinds them in no particular order, so a member
// unwound after the waiter must not touch the WaitGroup (its frame is gone).
TEST_P(WaitGroupP, AbandonedMembersOfAnUnwoundWaiterLeaveItsWaitGroupAlone) {
  for (int round = 0; round < 20; ++round) {
    run([] {
      auto never = gort::make_chan<int>();
      auto started = gort::make_chan<int>(8);
      gort::go([never, started] {
        gort::WaitGroup wg;
        for (int i = 0; i < 4; ++i)
          wg.go([never, started]() mutable {
            started.send(1);
            (void)never.recv();
          });
        wg.wait();
      });
      for (int i = 0; i < 4; ++i) (void)started.recv();
    });
  }
}

}  // namespace
