// blocking_test.cpp -- gort::blocking(): the P is handed off during a blocking call.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;

// With one P, a goroutine stuck in an OS-level blocking call does not stop the others.
TEST(Blocking, OthersKeepRunningOnOneP) {
  gort::run(
      [] {
        std::atomic<bool> in_call{false}, finished{false};
        gort::WaitGroup wg;
        wg.go([&] {
          int r = gort::blocking([&] {
            in_call = true;
            std::this_thread::sleep_for(300ms);
            return 42;
          });
          EXPECT_EQ(r, 42);
          finished = true;
        });
        while (!in_call.load()) gort::yield();
        // Ping-pong between two goroutines through yield while the call is in progress.
        std::atomic<long> progress{0};
        gort::WaitGroup busy;
        for (int i = 0; i < 2; ++i)
          busy.go([&] {
            for (int k = 0; k < 10000; ++k) {
              progress.fetch_add(1);
              gort::yield();
            }
          });
        busy.wait();
        EXPECT_EQ(progress.load(), 20000);
        EXPECT_FALSE(finished.load());  // all of that happened during the call
        wg.wait();
        EXPECT_TRUE(finished.load());
        EXPECT_GE(gort::stats().handoffs, 1u);
      },
      gort::Options{.max_procs = 1});
}

class BlockingP : public gort_test::ProcsTest {};

TEST_P(BlockingP, ReturnsResultsAndPassesExceptions) {
  run([] {
    EXPECT_EQ(gort::blocking([] { return std::string("text"); }), "text");
    bool ran = false;
    gort::blocking([&] { ran = true; });
    EXPECT_TRUE(ran);
    int x = 0;
    int& ref = gort::blocking([&x]() -> int& { return x; });
    EXPECT_EQ(&ref, &x);
    EXPECT_THROW(gort::blocking([]() -> int { throw std::runtime_error("io"); }), std::runtime_error);
    // Nested, and primitives inside block the thread.
    gort::WaitGroup wg;
    wg.add(1);
    gort::go([&] { wg.done(); });
    gort::blocking([&] { gort::blocking([&] { wg.wait(); }); });
  });
}

TEST_P(BlockingP, ManyConcurrentCallsAllComplete) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<int> done{0};
    for (int i = 0; i < 16; ++i)
      wg.go([&] {
        gort::blocking([] { std::this_thread::sleep_for(20ms); });
        done.fetch_add(1);
      });
    auto t0 = std::chrono::steady_clock::now();
    wg.wait();
    EXPECT_EQ(done.load(), 16);
    // They ran in parallel on extra Ms, not one after another on the Ps.
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 16 * 20ms);
  });
}

TEST(Blocking, OnAPlainThreadJustCalls) {
  EXPECT_EQ(gort::blocking([] { return 3; }), 3);
}

GORT_INSTANTIATE_PROCS(BlockingP);

}  // namespace
