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

// Go: a deferred call that panics during panicking replaces the panic; recover
// returns the latest one.
TEST(Defer, APanicDuringPanickingReplacesItForRecover) {
  auto p = gort::recover([] {
    gort::defer d{[] { gort::panic("panic pt2"); }};
    gort::panic("hello");
  });
  ASSERT_TRUE(p);
  EXPECT_STREQ(p->what(), "panic pt2");
  std::vector<std::string> ran;
  auto q = gort::recover([&] {
    gort::defer last{[&] { ran.push_back("last"); }};  // runs after both replacements
    gort::defer third{[] { throw std::runtime_error("third"); }};
    gort::defer second{[] { gort::panic("second"); }};
    gort::panic("first");
  });
  ASSERT_TRUE(q);
  EXPECT_NE(std::string(q->what()).find("third"), std::string::npos);
  EXPECT_THROW(std::rethrow_exception(q->cause()), std::runtime_error);
  EXPECT_EQ(ran, (std::vector<std::string>{"last"}));
}

TEST(Defer, ARecoverInsideADeferKeepsItsOwnPanic) {
  std::string inner;
  auto p = gort::recover([&] {
    gort::defer replace{[] { gort::panic("replacement"); }};
    gort::defer look{[&] {
      auto q = gort::recover([] { gort::panic("inner"); });
      inner = q ? q->what() : "";
    }};
    gort::panic("first");
  });
  EXPECT_EQ(inner, "inner");
  ASSERT_TRUE(p);
  EXPECT_STREQ(p->what(), "replacement");
}

// A replacement recorded for an exception that user code caught is forgotten: it does
// not show up in a later, unrelated recover.
TEST(Defer, AReplacementOfACaughtExceptionIsForgotten) {
  try {
    gort::defer d{[] { gort::panic("stale"); }};
    throw std::runtime_error("caught by the user");
  } catch (const std::exception&) {
  }
  auto p = gort::recover([] { gort::panic("fresh"); });
  ASSERT_TRUE(p);
  EXPECT_STREQ(p->what(), "fresh");
}

class PanicP : public gort_test::ProcsTest {};

TEST_P(PanicP, ADeferredPanicReplacesTheFirstInAGoroutine) {
  run([] {
    gort::WaitGroup wg;
    std::vector<std::string> got(8);
    for (int i = 0; i < 8; ++i) {
      wg.go([&got, i] {
        auto p = gort::recover([i] {
          gort::defer d{[i] {
            gort::yield();  // may resume on another thread
            gort::panic("pt2 of " + std::to_string(i));
          }};
          gort::panic("hello");
        });
        got[i] = p ? p->what() : "";
      });
    }
    wg.wait();
    for (int i = 0; i < 8; ++i) EXPECT_EQ(got[i], "pt2 of " + std::to_string(i));
  });
}

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
