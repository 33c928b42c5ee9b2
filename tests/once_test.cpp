// once_test.cpp -- gort::Once: exactly one run, callers wait for it, a panicking f
// counts as done, threads and goroutines together.
#include <atomic>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class OnceP : public gort_test::ProcsTest {};

TEST_P(OnceP, RunsOnceAndLaterCallsDoNothing) {
  run([] {
    gort::Once once;
    int calls = 0;
    for (int i = 0; i < 10; ++i) once.call([&] { ++calls; });
    EXPECT_EQ(calls, 1);
    const auto f = [&] { ++calls; };  // an lvalue, a const one
    once.call(f);
    EXPECT_EQ(calls, 1);
  });
}

// Concurrent callers wait for the first, parked, and see what f wrote.
TEST_P(OnceP, ConcurrentCallersWaitForTheFirst) {
  run([] {
    gort::Once once;
    std::atomic<int> calls{0}, saw{0};
    long value = 0;  // written by f only; TSan checks that readers are ordered after it
    std::atomic<bool> release{false};
    constexpr int kCallers = 50;
    gort::WaitGroup wg;
    for (int i = 0; i < kCallers; ++i)
      wg.go([&] {
        once.call([&] {
          calls.fetch_add(1);
          while (!release.load()) gort::sleep(100us);
          value = 42;
        });
        if (value == 42) saw.fetch_add(1);
      });
    // Everyone but the runner ends up parked in the Once.
    for (auto deadline = Clock::now() + 10s; gort_test::parked_in("sync.Once.Do") < kCallers - 1 && Clock::now() < deadline;)
      gort::sleep(1ms);
    EXPECT_EQ(gort_test::parked_in("sync.Once.Do"), kCallers - 1);
    EXPECT_EQ(calls.load(), 1);
    release = true;
    wg.wait();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(saw.load(), kCallers);
  });
}

// Go's rule: if f panics, the Once is done; the panic reaches f's caller only.
TEST_P(OnceP, APanickingFunctionCountsAsDone) {
  run([] {
    gort::Once once;
    std::atomic<bool> release{false};
    std::atomic<int> waited{0};
    gort::WaitGroup wg;
    wg.go([&] {
      auto p = gort::recover([&] {
        once.call([&] {
          while (!release.load()) gort::sleep(100us);
          gort::panic("in once");
        });
      });
      ASSERT_TRUE(p.has_value());
      EXPECT_STREQ(p->what(), "in once");
    });
    while (gort_test::parked_in("sleep") < 1) gort::sleep(100us);  // the runner is inside f
    for (int i = 0; i < 5; ++i)
      wg.go([&] {
        once.call([] { ADD_FAILURE() << "f ran twice"; });
        waited.fetch_add(1);
      });
    gort::sleep(2ms);
    release = true;
    wg.wait();
    EXPECT_EQ(waited.load(), 5);
    bool again = false;
    once.call([&] { again = true; });
    EXPECT_FALSE(again);

    gort::Once other;  // any exception, not only gort::Panic
    EXPECT_THROW(other.call([] { throw std::runtime_error("x"); }), std::runtime_error);
    other.call([] { ADD_FAILURE() << "f ran after throwing"; });
  });
}

TEST_P(OnceP, ThreadsAndGoroutinesMix) {
  run([] {
    gort::Once once;
    std::atomic<int> calls{0}, saw{0};
    long value = 0;
    auto body = [&] {
      once.call([&] {
        calls.fetch_add(1);
        std::this_thread::sleep_for(5ms);  // whoever runs it, the others wait
        value = 7;
      });
      if (value == 7) saw.fetch_add(1);
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) threads.emplace_back(body);
    gort::WaitGroup wg;
    for (int i = 0; i < 10; ++i) wg.go(body);
    wg.wait();
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(saw.load(), 13);
  });
}

TEST(Once, WorksWithoutARuntime) {
  gort::Once once;
  std::atomic<int> calls{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      once.call([&] {
        std::this_thread::sleep_for(2ms);
        calls.fetch_add(1);
      });
      EXPECT_EQ(calls.load(), 1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
}

// Callers parked in a Once whose f is itself blocked when main returns are unwound;
// f's unwinding counts as done.
TEST_P(OnceP, AbandonedCallersAreUnwound) {
  static std::atomic<int> unwound;
  unwound = 0;
  auto once = std::make_shared<gort::Once>();
  auto t0 = Clock::now();
  run([once] {
    struct Count {
      ~Count() { unwound.fetch_add(1); }
    };
    for (int i = 0; i < 4; ++i)
      gort::go([once] {
        Count c;
        once->call([] { gort::sleep(1h); });
      });
    for (auto deadline = Clock::now() + 10s; gort_test::parked_in("sync.Once.Do") < 3 && Clock::now() < deadline;)
      gort::sleep(1ms);
    EXPECT_EQ(gort_test::parked_in("sync.Once.Do"), 3);
  });
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(unwound.load(), 4);
  bool ran = false;
  once->call([&] { ran = true; });
  EXPECT_FALSE(ran);
}

GORT_INSTANTIATE_PROCS(OnceP);

}  // namespace
