// coroutine_test.cpp -- gort::Coroutine on plain threads and inside goroutines.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cfenv>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using gort::Coroutine;

struct Counted {
  int* n;
  explicit Counted(int* c) : n(c) {}
  ~Counted() { ++*n; }
};

TEST(Coroutine, LazyStartResumeYieldFinish) {
  std::vector<int> trace;
  Coroutine co([&](Coroutine::Yield& yield) {
    trace.push_back(1);
    yield();
    trace.push_back(2);
    yield();
    trace.push_back(3);
  });
  EXPECT_TRUE(trace.empty());
  EXPECT_FALSE(co.done());
  EXPECT_TRUE(co.resume());
  EXPECT_EQ(trace, (std::vector<int>{1}));
  EXPECT_TRUE(co.resume());
  EXPECT_FALSE(co.resume());
  EXPECT_EQ(trace, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(co.done());
  EXPECT_FALSE(co.resume());  // finished stays finished
}

TEST(Coroutine, ManyRoundTrips) {
  long n = 0;
  Coroutine co([&](Coroutine::Yield& yield) {
    for (;;) {
      ++n;
      yield();
    }
  });
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(co.resume());
  EXPECT_EQ(n, 100000);
}

TEST(Coroutine, ExceptionsThrownAndCaughtInside) {
  int caught = 0;
  Coroutine co([&](Coroutine::Yield& yield) {
    for (int i = 0; i < 3; ++i) {
      try {
        yield();  // suspended inside a try block
        throw std::runtime_error("inner " + std::to_string(i));
      } catch (const std::runtime_error& e) {
        yield();  // suspended inside a catch block: the caller throws meanwhile
        if (std::string(e.what()) == "inner " + std::to_string(i)) ++caught;
      }
    }
  });
  while (co.resume()) {
    try {
      throw std::logic_error("outside");  // the caller's own exception in between
    } catch (const std::logic_error&) {
    }
  }
  EXPECT_EQ(caught, 3);
  EXPECT_EQ(std::uncaught_exceptions(), 0);
}

TEST(Coroutine, EscapingExceptionIsRethrownByResume) {
  Coroutine co([](Coroutine::Yield& yield) {
    yield();
    throw std::runtime_error("boom");
  });
  EXPECT_TRUE(co.resume());
  try {
    co.resume();
    FAIL() << "resume did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  EXPECT_TRUE(co.done());
  EXPECT_FALSE(co.resume());
}

TEST(Coroutine, DestroyingASuspendedOneUnwindsIt) {
  int destroyed = 0;
  bool ran_on = false;
  {
    Coroutine co([&](Coroutine::Yield& yield) {
      Counted a(&destroyed);
      {
        Counted b(&destroyed);
        yield();
      }
      ran_on = true;
    });
    EXPECT_TRUE(co.resume());
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 2);
  EXPECT_FALSE(ran_on);
}

TEST(Coroutine, UnwindingPassesStdExceptionHandlers) {
  int destroyed = 0;
  bool caught_std = false;
  {
    Coroutine co([&](Coroutine::Yield& yield) {
      Counted a(&destroyed);
      try {
        yield();
      } catch (const std::exception&) {
        caught_std = true;  // the unwind exception is not a std::exception
      }
    });
    co.resume();
  }
  EXPECT_FALSE(caught_std);
  EXPECT_EQ(destroyed, 1);
}

TEST(Coroutine, NeverStartedRunsNothingAndFreesCaptures) {
  auto token = std::make_shared<int>(7);
  std::weak_ptr<int> watch = token;
  bool ran = false;
  {
    Coroutine co([&ran, t = std::move(token)](Coroutine::Yield&) { ran = *t == 7; });
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_FALSE(ran);
  EXPECT_TRUE(watch.expired());
}

TEST(Coroutine, MoveKeepsTheSuspendedState) {
  int step = 0;
  Coroutine a([&](Coroutine::Yield& yield) {
    step = 1;
    yield();
    step = 2;
  });
  EXPECT_TRUE(a.resume());
  Coroutine b = std::move(a);
  EXPECT_TRUE(a.done());  // a moved-from coroutine is empty
  EXPECT_FALSE(a.resume());
  EXPECT_FALSE(b.resume());
  EXPECT_EQ(step, 2);
  Coroutine c([](Coroutine::Yield&) {});
  c = std::move(b);
  EXPECT_TRUE(c.done());
}

TEST(Coroutine, NestedCoroutines) {
  std::vector<int> order;
  Coroutine inner([&](Coroutine::Yield& y) {
    order.push_back(10);
    y();
    order.push_back(11);
  });
  Coroutine outer([&](Coroutine::Yield& y) {
    order.push_back(1);
    inner.resume();
    y();
    order.push_back(2);
    inner.resume();
  });
  EXPECT_TRUE(outer.resume());
  EXPECT_FALSE(outer.resume());
  EXPECT_EQ(order, (std::vector<int>{1, 10, 2, 11}));
}

int deep(int n) {
  volatile char pad[1024];
  pad[0] = static_cast<char>(n);
  return n == 0 ? 1 : deep(n - 1) + (pad[0] == static_cast<char>(n) ? 1 : 0);
}

TEST(Coroutine, StackSizeIsHonoured) {
  int r = 0;
  Coroutine big([&](Coroutine::Yield&) { r = deep(400); }, 1 << 20);
  EXPECT_FALSE(big.resume());
  EXPECT_EQ(r, 401);
}

TEST(Coroutine, FloatingPointModeIsPerContext) {
  std::fesetround(FE_TONEAREST);
  int inside = -1;
  Coroutine co([&](Coroutine::Yield& y) {
    std::fesetround(FE_UPWARD);
    y();
    inside = std::fegetround();
  });
  co.resume();
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);
  std::fesetround(FE_TOWARDZERO);
  co.resume();
  EXPECT_EQ(inside, FE_UPWARD);
  EXPECT_EQ(std::fegetround(), FE_TOWARDZERO);
  std::fesetround(FE_TONEAREST);
}

// Reads the thread id with a syscall: std::this_thread::get_id() calls pthread_self(),
// which glibc declares `const`, so an optimiser may reuse its value across the
// yield() below -- the hazard README.md warns about for user code.
long thread_id() { return static_cast<long>(syscall(SYS_gettid)); }

TEST(Coroutine, ResumedFromAnotherThread) {
  std::vector<long> where;
  Coroutine co([&](Coroutine::Yield& y) {
    for (int i = 0; i < 4; ++i) {
      where.push_back(thread_id());
      y();
    }
  });
  co.resume();
  std::thread([&] { co.resume(); }).join();
  co.resume();
  ASSERT_EQ(where.size(), 3u);
  EXPECT_NE(where[0], where[1]);
  EXPECT_EQ(where[0], where[2]);
}

TEST(Coroutine, EmptyBodyIsRejected) { EXPECT_THROW(Coroutine(std::function<void(Coroutine::Yield&)>{}), std::invalid_argument); }

TEST(Coroutine, ResumingItselfIsAnError) {
  Coroutine* self = nullptr;
  bool threw = false;
  Coroutine co([&](Coroutine::Yield&) {
    try {
      self->resume();
    } catch (const std::logic_error&) {
      threw = true;
    }
  });
  self = &co;
  co.resume();
  EXPECT_TRUE(threw);
}

class CoroutineInGoroutine : public gort_test::ProcsTest {};

// Coroutines owned by goroutines that park between resumes (and so may move
// between threads) keep working; exceptions inside them stay theirs.
TEST_P(CoroutineInGoroutine, SurviveParkingAndMigration) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<long> total{0};
    for (int g = 0; g < 8; ++g) {
      wg.go([&total, g] {
        long sum = 0;
        Coroutine co([&](Coroutine::Yield& y) {
          for (int i = 0; i < 100; ++i) {
            try {
              throw i;
            } catch (int v) {
              sum += v;
              gort::yield();  // the goroutine gives way while the coroutine sits in a catch
              y();
            }
          }
        });
        while (co.resume()) gort::yield();
        total += sum + g;
      });
    }
    wg.wait();
    EXPECT_EQ(total.load(), 8 * 4950 + 28);
  });
}

TEST_P(CoroutineInGoroutine, GoexitInsideACoroutineEndsTheGoroutine) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<bool> after{false};
    std::atomic<int> unwound{0};
    wg.add(1);
    gort::go([&] {
      gort::defer done{[&] { wg.done(); }};
      Coroutine co([&](Coroutine::Yield&) {
        struct U {
          std::atomic<int>* n;
          ~U() { ++*n; }
        } u{&unwound};
        gort::goexit();
      });
      co.resume();
      after = true;
    });
    wg.wait();
    EXPECT_FALSE(after.load());
    EXPECT_EQ(unwound.load(), 1);
  });
}

GORT_INSTANTIATE_PROCS(CoroutineInGoroutine);

}  // namespace
