// generator_test.cpp -- gort::Generator<T>.
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

using gort::Generator;

Generator<long> naturals(int* destroyed) {
  return Generator<long>([destroyed](Generator<long>::Yield& yield) {
    struct G {
      int* d;
      ~G() { ++*d; }
    } g{destroyed};
    for (long i = 0;; ++i) yield(i);
  });
}

TEST(Generator, RangeFor) {
  Generator<int> squares([](Generator<int>::Yield& yield) {
    for (int i = 0; i < 5; ++i) yield(i * i);
  });
  std::vector<int> got;
  for (int v : squares) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 4, 9, 16}));
}

TEST(Generator, NextUntilNullopt) {
  Generator<std::string> words([](Generator<std::string>::Yield& yield) {
    yield("alpha");
    yield(std::string(100, 'b'));  // large enough to live on the heap
  });
  EXPECT_EQ(words.next().value_or(""), "alpha");
  EXPECT_EQ(words.next().value_or(""), std::string(100, 'b'));
  EXPECT_FALSE(words.next());
  EXPECT_FALSE(words.next());
}

TEST(Generator, EmptyBodyYieldsNothing) {
  Generator<int> none([](Generator<int>::Yield&) {});
  int n = 0;
  for (int v : none) n += v + 1;
  EXPECT_EQ(n, 0);
}

TEST(Generator, InfiniteStoppedEarlyIsUnwound) {
  int destroyed = 0;
  {
    auto gen = naturals(&destroyed);
    long sum = 0;
    for (long v : gen) {
      if (v == 100) break;
      sum += v;
    }
    EXPECT_EQ(sum, 4950);
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 1);
}

TEST(Generator, MoveOnlyAndNonDefaultConstructible) {
  struct NoDefault {
    explicit NoDefault(int x) : v(x) {}
    int v;
  };
  Generator<std::unique_ptr<int>> boxes([](Generator<std::unique_ptr<int>>::Yield& yield) {
    for (int i = 0; i < 3; ++i) yield(std::make_unique<int>(i));
  });
  int total = 0;
  for (auto&& p : boxes) total += *p;
  EXPECT_EQ(total, 3);
  Generator<NoDefault> nd([](Generator<NoDefault>::Yield& yield) { yield(NoDefault(42)); });
  auto v = nd.next();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->v, 42);
}

TEST(Generator, ExceptionReachesTheConsumer) {
  Generator<int> failing([](Generator<int>::Yield& yield) {
    yield(1);
    throw std::runtime_error("generator failed");
  });
  EXPECT_EQ(failing.next().value_or(0), 1);
  EXPECT_THROW((void)failing.next(), std::runtime_error);
  EXPECT_FALSE(failing.next());
}

TEST(Generator, MovedMidway) {
  Generator<int> a([](Generator<int>::Yield& yield) {
    for (int i = 1; i <= 3; ++i) yield(i);
  });
  EXPECT_EQ(a.next().value_or(0), 1);
  Generator<int> b = std::move(a);
  EXPECT_EQ(b.next().value_or(0), 2);
  EXPECT_EQ(b.next().value_or(0), 3);
  EXPECT_FALSE(b.next());
  EXPECT_FALSE(a.next());
}

TEST(Generator, RecursiveComposition) {
  // A generator consuming another one: an in-order walk of a small tree.
  std::function<void(Generator<int>::Yield&, int, int)> walk = [&](Generator<int>::Yield& y, int lo, int hi) {
    if (lo > hi) return;
    int mid = (lo + hi) / 2;
    Generator<int> left([&](Generator<int>::Yield& yl) { walk(yl, lo, mid - 1); });
    for (int v : left) y(v);
    y(mid);
    Generator<int> right([&](Generator<int>::Yield& yr) { walk(yr, mid + 1, hi); });
    for (int v : right) y(v);
  };
  Generator<int> all([&](Generator<int>::Yield& y) { walk(y, 1, 31); });
  std::vector<int> got;
  for (int v : all) got.push_back(v);
  std::vector<int> want(31);
  std::iota(want.begin(), want.end(), 1);
  EXPECT_EQ(got, want);
}

class GeneratorInGoroutine : public gort_test::ProcsTest {};

TEST_P(GeneratorInGoroutine, ManyConsumers) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<long> total{0};
    for (int g = 0; g < 16; ++g) {
      wg.go([&total](int base) {
        Generator<int> gen([base](Generator<int>::Yield& yield) {
          for (int i = 0; i < 1000; ++i) yield(base + i);
        });
        long s = 0;
        for (int v : gen) {
          s += v;
          if (v % 64 == 0) gort::yield();
        }
        total += s;
      }, g * 1000);
    }
    wg.wait();
    long expect = 0;
    for (int g = 0; g < 16; ++g) expect += 1000L * g * 1000 + 499500;
    EXPECT_EQ(total.load(), expect);
  });
}

GORT_INSTANTIATE_PROCS(GeneratorInGoroutine);

}  // namespace
