// panic_test.cpp -- panic, recover, defer (the crash output is in crash_test.cpp).
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

TEST(Panic, IsAStdExceptionWithAMessage) {
  gort::Panic p("constructed");
  EXPECT_STREQ(p.what(), "constructed");
  EXPECT_FALSE(p.cause());
  gort::Panic copy = p;
  EXPECT_STREQ(copy.what(), "constructed");
  try {
    gort::panic("plain");
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "plain");
  }
}

TEST(Recover, NulloptWithoutPanicAndThePanicWithOne) {
  EXPECT_FALSE(gort::recover([] {}));
  auto p = gort::recover([] { gort::panic("boom"); });
  ASSERT_TRUE(p);
  EXPECT_STREQ(p->what(), "boom");
  EXPECT_FALSE(p->cause());
}

TEST(Recover, WrapsOtherExceptionsKeepingTheCause) {
  auto p = gort::recover([] { throw std::runtime_error("bad thing"); });
  ASSERT_TRUE(p);
  EXPECT_NE(std::string(p->what()).find("bad thing"), std::string::npos);
  EXPECT_THROW(std::rethrow_exception(p->cause()), std::runtime_error);
  auto i = gort::recover([] { throw 42; });
  ASSERT_TRUE(i);
  EXPECT_NE(std::string(i->what()).find("42"), std::string::npos);
  try {
    std::rethrow_exception(i->cause());
  } catch (int v) {
    EXPECT_EQ(v, 42);
  }
  struct Custom {};
  auto c = gort::recover([] { throw Custom{}; });
  ASSERT_TRUE(c);
  EXPECT_NE(std::string(c->what()).find("Custom"), std::string::npos);
}

TEST(Recover, NestedAndRepanic) {
  bool inner_seen = false;
  auto outer = gort::recover([&] {
    auto inner = gort::recover([] { gort::panic("inner"); });
    inner_seen = inner && std::string(inner->what()) == "inner";
  });
  EXPECT_FALSE(outer);
  EXPECT_TRUE(inner_seen);
  auto p = gort::recover([] {
    auto inner = gort::recover([] { gort::panic("first"); });
    gort::panic(std::string("re: ") + inner->what());
  });
  ASSERT_TRUE(p);
  EXPECT_STREQ(p->what(), "re: first");
}

TEST(Defer, RunsInReverseOrderAtScopeExitAndWhileUnwinding) {
  std::vector<int> order;
  {
    gort::defer a{[&] { order.push_back(1); }};
    gort::defer b{[&] { order.push_back(2); }};
    EXPECT_TRUE(order.empty());
  }
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
  order.clear();
  auto p = gort::recover([&] {
    gort::defer a{[&] { order.push_back(1); }};
    gort::defer b{[&] { order.push_back(2); }};
    gort::panic("unwind");
  });
  EXPECT_TRUE(p);
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(Defer, MayPanicWhenNotUnwinding) {
  auto p = gort::recover([] { gort::defer d{[] { gort::panic("from defer"); }}; });
  ASSERT_TRUE(p);
  EXPECT_STREQ(p->what(), "from defer");
}

class PanicP : public gort_test::ProcsTest {};

TEST_P(PanicP, AGoroutineSurvivesItsOwnRecoveredPanic) {
  run([] {
    gort::WaitGroup wg;
    std::string got;
    bool deferred = false;
    wg.go([&] {
      gort::defer d{[&] { deferred = true; }};
      auto q = gort::recover([] { gort::panic("in goroutine"); });
      got = q ? q->what() : "";
    });
    wg.wait();
    EXPECT_EQ(got, "in goroutine");
    EXPECT_TRUE(deferred);
  });
}

GORT_INSTANTIATE_PROCS(PanicP);

}  // namespace
