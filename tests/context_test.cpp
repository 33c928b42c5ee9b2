// context_test.cpp -- gort::Context: background, with_cancel trees, deadlines and
// timeouts, err() codes, done() with select, release of dropped children, done()
// channels that outlive every other handle (they still close on time, and keep what
// they need), trees of 100,000 nodes (wide and deep), and cancellation races between
// goroutines and threads.  Each over max_procs 1, 2, 4.
#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.hpp"

namespace {

using gort_test::ProcsTest;
using gort_test::scaled;
using namespace std::chrono_literals;
using Clock = gort::Clock;

class ContextTest : public ProcsTest {};
GORT_INSTANTIATE_PROCS(ContextTest);

bool is_closed(const gort::RecvChan<gort::Done>& d) {
  return gort::select(gort::on_recv(d), gort::on_default()) == 0;
}

bool is_done(const gort::Context& c) { return is_closed(c.done()); }

std::size_t children(const gort::Context& c) { return gort::detail::context_child_count(c); }

// children(c) once the goroutines that fired timers start have had time to finish: a
// timer's goroutine closes done() before it unregisters the child (Go's order).
std::size_t children_after_timers(const gort::Context& c) {
  for (int i = 0; i < 5000 && children(c) != 0; ++i) gort::sleep(1ms);
  return children(c);
}

TEST_P(ContextTest, BackgroundNeverEnds) {
  run([] {
    gort::Context bg = gort::background();
    EXPECT_FALSE(bg.err());
    EXPECT_FALSE(bg.deadline().has_value());
    EXPECT_FALSE(bg.done());  // the nil channel
    EXPECT_FALSE(is_done(bg));
    gort::Context dflt;
    EXPECT_FALSE(dflt.err());
    EXPECT_FALSE(dflt.done());
  });
}

TEST_P(ContextTest, CancelClosesDoneAndIsIdempotent) {
  run([] {
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    EXPECT_FALSE(ctx.err());
    EXPECT_FALSE(ctx.deadline().has_value());
    auto d = ctx.done();
    EXPECT_TRUE(d);
    EXPECT_TRUE(d == ctx.done());  // the same channel every time
    EXPECT_FALSE(is_done(ctx));
    cancel();
    EXPECT_TRUE(is_done(ctx));
    EXPECT_EQ(d.recv(), std::nullopt);  // closed: returns at once, for every receiver
    EXPECT_EQ(d.recv(), std::nullopt);
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
    cancel();  // idempotent
    gort::CancelFunc copy = cancel;
    copy();
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
    gort::Context same = ctx;  // copies share the state
    EXPECT_EQ(same.err(), gort::errc::canceled);
    EXPECT_TRUE(same.done() == d);
  });
}

TEST_P(ContextTest, DoneAskedForOnlyAfterCancelIsClosed) {
  run([] {
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    cancel();
    EXPECT_TRUE(ctx.done());
    EXPECT_TRUE(is_done(ctx));
    EXPECT_EQ(ctx.done().recv(), std::nullopt);
  });
}

TEST(ContextErrors, CategoryNamedGortWithGoMessages) {
  std::error_code canceled = gort::errc::canceled;
  std::error_code exceeded = gort::errc::deadline_exceeded;
  EXPECT_STREQ(canceled.category().name(), "gort");
  EXPECT_EQ(&canceled.category(), &gort::gort_category());
  EXPECT_EQ(canceled.value(), 1);
  EXPECT_EQ(exceeded.value(), 2);
  EXPECT_EQ(canceled.message(), "context canceled");
  EXPECT_EQ(exceeded.message(), "context deadline exceeded");
  EXPECT_TRUE(canceled);
  EXPECT_NE(canceled, exceeded);
  EXPECT_NE(canceled, std::error_code(1, std::generic_category()));
  // Generic conditions, for code that only asks "timed out?" / "cancelled?".
  EXPECT_EQ(exceeded, std::errc::timed_out);
  EXPECT_EQ(canceled, std::errc::operation_canceled);
  EXPECT_NE(canceled, std::errc::timed_out);
  static_assert(std::is_error_code_enum_v<gort::errc>);
}

TEST_P(ContextTest, CancellingANodeCancelsItsSubtreeOnly) {
  run([] {
    auto root = gort::with_cancel(gort::background());
    auto child = gort::with_cancel(root.first);
    auto grandchild = gort::with_cancel(child.first);
    auto great = gort::with_timeout(grandchild.first, 1h);
    auto sibling = gort::with_cancel(root.first);
    auto nephew = gort::with_cancel(sibling.first);
    EXPECT_EQ(children(root.first), 2u);
    child.second();
    for (auto* c : {&child.first, &grandchild.first, &great.first}) {
      EXPECT_EQ(c->err(), gort::errc::canceled);
      EXPECT_TRUE(is_done(*c));
    }
    EXPECT_FALSE(root.first.err());
    EXPECT_FALSE(sibling.first.err());
    EXPECT_FALSE(nephew.first.err());
    EXPECT_EQ(children(root.first), 1u);  // the cancelled child left the set
    root.second();
    EXPECT_EQ(sibling.first.err(), gort::errc::canceled);
    EXPECT_EQ(nephew.first.err(), gort::errc::canceled);
    EXPECT_TRUE(is_done(nephew.first));
    EXPECT_EQ(children(root.first), 0u);
  });
}

TEST_P(ContextTest, ChildOfACancelledParentIsBornCancelled) {
  run([] {
    auto p = gort::with_cancel(gort::background());
    p.second();
    auto late = gort::with_cancel(p.first);
    EXPECT_EQ(late.first.err(), gort::errc::canceled);
    EXPECT_TRUE(is_done(late.first));
    auto late_timeout = gort::with_timeout(p.first, 1h);  // the parent's cause, not a timeout
    EXPECT_EQ(late_timeout.first.err(), gort::errc::canceled);
    EXPECT_EQ(children(p.first), 0u);
    late.second();  // harmless

    auto t = gort::with_deadline(gort::background(), Clock::now() - 1s);
    auto t_child = gort::with_cancel(t.first);
    EXPECT_EQ(t_child.first.err(), gort::errc::deadline_exceeded);
  });
}

TEST_P(ContextTest, DoneReleasesEveryWaiterGoroutinesAndThreads) {
  run([] {
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    constexpr int kGoroutines = 50, kThreads = 3;
    gort::WaitGroup wg;
    std::atomic<int> woke{0};
    for (int i = 0; i < kGoroutines; ++i)
      wg.go(
          [c = ctx, &woke](int i) {
        if (i % 2 == 1) {
          (void)c.done().recv();
        } else {
          auto never = gort::make_chan<int>();
          EXPECT_EQ(gort::select(gort::on_recv(never), gort::on_recv(c.done())), 1u);
        }
        EXPECT_TRUE(c.err());
        woke.fetch_add(1);
      },
          i);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([c = ctx, &woke] {
        (void)c.done().recv();
        EXPECT_EQ(c.err(), gort::errc::canceled);
        woke.fetch_add(1);
      });
    gort::sleep(20ms);
    EXPECT_EQ(woke.load(), 0);
    cancel();
    wg.wait();
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    EXPECT_EQ(woke.load(), kGoroutines + kThreads);
  });
}

TEST_P(ContextTest, WithTimeoutFiresOnTimeWithDeadlineExceeded) {
  run([] {
    const auto t0 = Clock::now();
    auto [ctx, cancel] = gort::with_timeout(gort::background(), 30ms);
    ASSERT_TRUE(ctx.deadline().has_value());
    EXPECT_GE(*ctx.deadline(), t0 + 30ms);
    EXPECT_LE(*ctx.deadline(), Clock::now() + 30ms);
    EXPECT_FALSE(ctx.err());
    (void)ctx.done().recv();
    const auto elapsed = Clock::now() - t0;
    EXPECT_GE(elapsed, 30ms);  // never early
    EXPECT_LT(elapsed, 5s);    // wide: a loaded 2-core machine
    EXPECT_GE(Clock::now(), *ctx.deadline());
    EXPECT_EQ(ctx.err(), gort::errc::deadline_exceeded);
    cancel();  // the first cause stays
    EXPECT_EQ(ctx.err(), gort::errc::deadline_exceeded);

    auto [long_ctx, long_cancel] = gort::with_timeout(gort::background(), 1h);
    long_cancel();
    EXPECT_EQ(long_ctx.err(), gort::errc::canceled);
  });
}

TEST_P(ContextTest, PassedDeadlinesAreBornExceeded) {
  run([] {
    auto past = gort::with_deadline(gort::background(), Clock::now() - 1s);
    EXPECT_EQ(past.first.err(), gort::errc::deadline_exceeded);
    EXPECT_TRUE(is_done(past.first));
    auto zero = gort::with_timeout(gort::background(), 0s);
    EXPECT_EQ(zero.first.err(), gort::errc::deadline_exceeded);
    auto negative = gort::with_timeout(gort::background(), -5s);
    EXPECT_EQ(negative.first.err(), gort::errc::deadline_exceeded);
    auto lowest = gort::with_deadline(gort::background(), Clock::time_point::min());
    EXPECT_EQ(lowest.first.err(), gort::errc::deadline_exceeded);
    // Under a live parent: born exceeded, not registered.
    auto p = gort::with_cancel(gort::background());
    auto kid = gort::with_deadline(p.first, Clock::now() - 1ms);
    EXPECT_EQ(kid.first.err(), gort::errc::deadline_exceeded);
    EXPECT_EQ(children(p.first), 0u);
    EXPECT_FALSE(p.first.err());
  });
}

TEST_P(ContextTest, HugeTimeoutsSaturate) {
  run([] {
    auto [ctx, cancel] = gort::with_timeout(gort::background(), Clock::duration::max());
    ASSERT_TRUE(ctx.deadline().has_value());
    EXPECT_GT(*ctx.deadline(), Clock::now() + 24h * 365 * 100);
    EXPECT_FALSE(ctx.err());
    auto [far, far_cancel] = gort::with_deadline(gort::background(), Clock::time_point::max());
    EXPECT_TRUE(far.deadline().has_value());
    EXPECT_FALSE(far.err());
    cancel();
    far_cancel();
  });
}

TEST_P(ContextTest, DeadlinesFlowDown) {
  run([] {
    auto parent = gort::with_timeout(gort::background(), 60ms);
    const auto pd = *parent.first.deadline();
    auto later = gort::with_deadline(parent.first, Clock::now() + 1h);  // capped by the parent
    auto plain = gort::with_cancel(parent.first);                       // inherits
    auto grand = gort::with_cancel(plain.first);
    auto earlier = gort::with_timeout(parent.first, 10ms);              // its own timer
    EXPECT_EQ(later.first.deadline(), pd);
    EXPECT_EQ(plain.first.deadline(), pd);
    EXPECT_EQ(grand.first.deadline(), pd);
    ASSERT_TRUE(earlier.first.deadline().has_value());
    EXPECT_LT(*earlier.first.deadline(), pd);

    (void)earlier.first.done().recv();  // the child's own deadline, parent untouched
    EXPECT_EQ(earlier.first.err(), gort::errc::deadline_exceeded);
    EXPECT_FALSE(parent.first.err());
    EXPECT_FALSE(plain.first.err());

    (void)later.first.done().recv();  // cancelled by the parent's expiry
    EXPECT_GE(Clock::now(), pd);
    for (auto* c : {&parent.first, &later.first, &plain.first, &grand.first}) {
      EXPECT_EQ(c->err(), gort::errc::deadline_exceeded);
      EXPECT_TRUE(is_done(*c));
    }
  });
}

TEST_P(ContextTest, CancellingAChildOfATimeoutLeavesTheParent) {
  run([] {
    auto tp = gort::with_timeout(gort::background(), 1h);
    auto tk = gort::with_cancel(tp.first);
    tk.second();
    EXPECT_EQ(tk.first.err(), gort::errc::canceled);
    EXPECT_FALSE(tp.first.err());
    EXPECT_EQ(children(tp.first), 0u);
    tp.second();
  });
}

// Many short-lived children of one long-lived parent: nothing accumulates, whether
// they are cancelled, dropped without calling their CancelFunc, or time out.
TEST_P(ContextTest, DroppedChildrenLeaveTheParent) {
  run([] {
    auto [parent, cancel_parent] = gort::with_cancel(gort::background());
    const long n = scaled(100000, 5000);
    for (long i = 0; i < n; ++i) {
      auto [c, cancel] = gort::with_cancel(parent);
      if (i % 3 == 0) cancel();
      if (i % 3 == 1) (void)c.done();
      if (i % 5 == 0) {
        auto grandchild = gort::with_timeout(c, 1h);
        (void)grandchild.first.err();
      }
    }
    EXPECT_EQ(children(parent), 0u);

    // A kept CancelFunc keeps the child registered, as does a kept handle.
    auto kept = gort::with_cancel(parent);
    gort::CancelFunc keep_cancel = kept.second;
    gort::Context keep_ctx = kept.first;
    kept = {};
    EXPECT_EQ(children(parent), 1u);
    keep_ctx = gort::Context();
    EXPECT_EQ(children(parent), 1u);
    keep_cancel = nullptr;
    EXPECT_EQ(children(parent), 0u);

    // Timeouts that fire leave the set too.
    std::vector<std::pair<gort::Context, gort::CancelFunc>> timed;
    for (int i = 0; i < 20; ++i) timed.push_back(gort::with_timeout(parent, 50ms));  // not before the count
    EXPECT_EQ(children(parent), 20u);
    for (auto& t : timed) (void)t.first.done().recv();
    EXPECT_EQ(children_after_timers(parent), 0u);
    EXPECT_FALSE(parent.err());
    cancel_parent();
  });
}

// An intermediate node nobody holds stays registered while a descendant lives, so the
// root still reaches the descendant; it leaves once the descendant goes.
TEST_P(ContextTest, ADroppedMiddleNodeStillRelaysCancellation) {
  run([] {
    auto root = gort::with_cancel(gort::background());
    std::optional<gort::Context> leaf;
    {
      auto mid = gort::with_cancel(root.first);
      leaf = gort::with_cancel(mid.first).first;  // the leaf's CancelFunc is dropped at once
    }
    EXPECT_FALSE(leaf->err());
    EXPECT_EQ(children(root.first), 1u);
    root.second();
    EXPECT_EQ(leaf->err(), gort::errc::canceled);

    auto root2 = gort::with_cancel(gort::background());
    {
      auto mid = gort::with_cancel(root2.first);
      leaf = gort::with_cancel(mid.first).first;
    }
    EXPECT_EQ(children(root2.first), 1u);
    leaf.reset();
    EXPECT_EQ(children(root2.first), 0u);
  });
}

// Dropping handles never cancels (API.md 12.14): a done() channel held alone still
// closes at the deadline, as Go's does, not when the Context and CancelFunc go.
TEST_P(ContextTest, DoneHeldAloneClosesAtTheDeadline) {
  run([] {
    const auto t0 = Clock::now();
    gort::RecvChan<gort::Done> d = gort::with_timeout(gort::background(), 200ms).first.done();
    gort::sleep(20ms);
    EXPECT_FALSE(is_closed(d));  // the old release-cancels design closed it at 0 ms
    EXPECT_EQ(d.recv(), std::nullopt);
    const auto elapsed = Clock::now() - t0;
    EXPECT_GE(elapsed, 150ms);
    EXPECT_LT(elapsed, 10s);  // wide: a loaded 2-core machine

    // The same under a live parent: the child's own timer, and its registration.
    auto parent = gort::with_cancel(gort::background());
    const auto t1 = Clock::now();
    d = gort::with_deadline(parent.first, Clock::now() + 100ms).first.done();
    EXPECT_EQ(children(parent.first), 1u);
    gort::sleep(10ms);
    EXPECT_FALSE(is_closed(d));
    EXPECT_EQ(d.recv(), std::nullopt);
    EXPECT_GE(Clock::now() - t1, 80ms);
    EXPECT_EQ(children_after_timers(parent.first), 0u);
    EXPECT_FALSE(parent.first.err());
  });
}

// With only done() held, a child stays registered: the parent's cancel closes it,
// and nothing closes it before.
TEST_P(ContextTest, DoneHeldAloneClosesWithTheParent) {
  run([] {
    auto parent = gort::with_cancel(gort::background());
    gort::RecvChan<gort::Done> d = gort::with_cancel(parent.first).first.done();
    gort::RecvChan<gort::Done> d2 = d;  // copies are handles like any other
    EXPECT_EQ(children(parent.first), 1u);
    gort::sleep(20ms);
    EXPECT_FALSE(is_closed(d));
    d = {};
    EXPECT_EQ(children(parent.first), 1u);
    std::atomic<bool> woke{false};
    gort::WaitGroup wg;
    wg.go([d2, &woke] {
      EXPECT_EQ(d2.recv(), std::nullopt);
      woke.store(true);
    });
    gort::sleep(10ms);
    EXPECT_FALSE(woke.load());
    parent.second();
    wg.wait();
    EXPECT_TRUE(is_closed(d2));
    EXPECT_EQ(children(parent.first), 0u);

    // A parent's deadline reaches it too, and a Context kept of a sibling shows why.
    auto timed = gort::with_timeout(gort::background(), 50ms);
    gort::Context sibling = gort::with_cancel(timed.first).first;
    gort::RecvChan<gort::Done> t = gort::with_cancel(timed.first).first.done();
    timed = {};
    EXPECT_EQ(t.recv(), std::nullopt);
    (void)sibling.done().recv();
    EXPECT_EQ(sibling.err(), gort::errc::deadline_exceeded);
  });
}

// done() of a grandchild keeps the whole chain registered, through nodes nobody else
// holds; dropping it then unregisters the chain.
TEST_P(ContextTest, DoneHeldAloneKeepsTheChainOfAncestors) {
  run([] {
    auto root = gort::with_cancel(gort::background());
    gort::RecvChan<gort::Done> d;
    {
      auto mid = gort::with_cancel(root.first);
      auto leaf = gort::with_timeout(mid.first, 1h);
      d = gort::with_cancel(leaf.first).first.done();
    }
    EXPECT_EQ(children(root.first), 1u);
    EXPECT_FALSE(is_closed(d));
    root.second();
    EXPECT_TRUE(is_closed(d));
    EXPECT_EQ(children(root.first), 0u);

    auto root2 = gort::with_cancel(gort::background());
    {
      auto mid = gort::with_cancel(root2.first);
      d = gort::with_cancel(gort::with_cancel(mid.first).first).first.done();
    }
    EXPECT_EQ(children(root2.first), 1u);
    d = {};  // the last observer: the chain goes quietly
    EXPECT_EQ(children(root2.first), 0u);
    EXPECT_FALSE(root2.first.err());
  });
}

// A done() taken and dropped, then taken again, is the same channel; while only
// done() handles remain they keep the context registered, and only while they last.
TEST_P(ContextTest, DoneTakenAgainAndDropped) {
  run([] {
    auto parent = gort::with_cancel(gort::background());
    auto [ctx, cancel] = gort::with_cancel(parent.first);
    const std::size_t first = std::hash<gort::RecvChan<gort::Done>>()(ctx.done());  // dropped here
    gort::RecvChan<gort::Done> d = ctx.done();
    EXPECT_EQ(std::hash<gort::RecvChan<gort::Done>>()(d), first);
    gort::RecvChan<gort::Done> d2 = ctx.done();
    ctx = gort::Context();
    cancel = nullptr;
    EXPECT_EQ(children(parent.first), 1u);  // d and d2 hold it
    d = {};
    EXPECT_EQ(children(parent.first), 1u);
    d2 = {};
    EXPECT_EQ(children(parent.first), 0u);  // retired, never cancelled

    // The other order: the channel's handles go first, then the Context.
    auto [c1, cancel1] = gort::with_cancel(parent.first);
    (void)c1.done();
    cancel1 = nullptr;
    EXPECT_EQ(children(parent.first), 1u);
    c1 = gort::Context();
    EXPECT_EQ(children(parent.first), 0u);

    // Cancelled, then its channel dropped and asked for again: still closed.
    auto [c2, cancel2] = gort::with_cancel(parent.first);
    (void)c2.done();
    cancel2();
    EXPECT_TRUE(is_done(c2));
    EXPECT_EQ(c2.err(), gort::errc::canceled);
  });
}

// Many short-lived children of a long-lived parent, each with done() taken (and
// held a while, by a batch), then everything dropped: the set does not grow.
TEST_P(ContextTest, DroppedChildrenWithDoneTakenLeaveTheParent) {
  run([] {
    auto [parent, cancel_parent] = gort::with_cancel(gort::background());
    const long n = scaled(100000, 5000);
    constexpr std::size_t kBatch = 64;
    std::vector<gort::RecvChan<gort::Done>> held;
    held.reserve(kBatch);
    for (long i = 0; i < n; ++i) {
      held.push_back(i % 2 == 0 ? gort::with_cancel(parent).first.done()
                                : gort::with_timeout(parent, 1h).first.done());
      if (held.size() == kBatch) {
        EXPECT_EQ(children(parent), kBatch);
        held.clear();
        ASSERT_EQ(children(parent), 0u);
      }
    }
    held.clear();
    EXPECT_EQ(children(parent), 0u);
    EXPECT_FALSE(parent.err());
    cancel_parent();
  });
}

// The last Context and the last done() handle dropped at the same moment, on two
// goroutines (or a goroutine and a thread): exactly one of them retires the context.
TEST_P(ContextTest, LastContextAndLastDoneDroppedAtOnce) {
  run([] {
    auto parent = gort::with_cancel(gort::background());
    const int n = static_cast<int>(scaled(20000, 1000));
    for (int i = 0; i < n; ++i) {
      auto [c, cancel] = i % 2 == 0 ? gort::with_cancel(parent.first) : gort::with_timeout(parent.first, 1h);
      gort::RecvChan<gort::Done> d = c.done();
      cancel = nullptr;
      gort::WaitGroup wg;
      if (i % 8 == 7) {
        std::thread t([d = std::move(d)]() mutable { d = {}; });
        c = gort::Context();
        gort::blocking([&] { t.join(); });
      } else {
        wg.go([d = std::move(d)]() mutable { d = {}; });
        wg.go([c = std::move(c)]() mutable { c = gort::Context(); });
        wg.wait();
      }
      ASSERT_EQ(children(parent.first), 0u);
    }
  });
}

// The last done() handle dropped on a plain thread releases the context there.
TEST_P(ContextTest, DoneDroppedOnAThreadReleases) {
  run([] {
    auto parent = gort::with_cancel(gort::background());
    gort::RecvChan<gort::Done> d = gort::with_timeout(parent.first, 1h).first.done();
    std::thread t([d = std::move(d)]() mutable { d = {}; });
    gort::blocking([&] { t.join(); });
    EXPECT_EQ(children(parent.first), 0u);
  });
}

// Children created, observed only through done(), dropped and cancelled at once from
// many goroutines and threads: every waiter wakes exactly when its context ends, and
// the parent's set ends empty.
TEST_P(ContextTest, ConcurrentDoneOnlyObservers) {
  run([] {
    const int rounds = static_cast<int>(scaled(500, 20));
    for (int r = 0; r < rounds; ++r) {
      auto [parent, cancel_parent] = gort::with_cancel(gort::background());
      constexpr int kKids = 24;
      std::atomic<int> woke{0};
      gort::WaitGroup wg;
      for (int i = 0; i < kKids; ++i)
        wg.go(
            [p = parent, &woke, &wg](int i) {
              auto [c, cancel] = i % 3 == 0 ? gort::with_timeout(p, std::chrono::milliseconds(i % 5))
                                            : gort::with_cancel(p);
              gort::RecvChan<gort::Done> d = i % 4 == 0 ? gort::with_cancel(c).first.done() : c.done();
              if (i % 2 == 0) {
                wg.go([cancel = std::move(cancel)] { cancel(); });
              } else {
                cancel = nullptr;
              }
              c = gort::Context();
              if (i % 5 == 0) {
                (void)gort::with_cancel(p).first.done();  // dropped at once: released
                return;  // d dropped unwaited
              }
              (void)d.recv();
              woke.fetch_add(1);
            },
            i);
      std::thread canceller([c = cancel_parent] { c(); });
      wg.wait();
      gort::blocking([&] { canceller.join(); });
      int waiting = 0;
      for (int i = 0; i < kKids; ++i) waiting += i % 5 != 0;
      EXPECT_EQ(woke.load(), waiting);
      EXPECT_EQ(children_after_timers(parent), 0u);
    }
  });
}

TEST_P(ContextTest, WideTreeOf100000ChildrenCancelsInLinearTime) {
  run([] {
    const long n = scaled(100000, 10000);
    auto [root, cancel_root] = gort::with_cancel(gort::background());
    std::vector<std::pair<gort::Context, gort::CancelFunc>> kids;
    kids.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) kids.push_back(gort::with_cancel(root));
    EXPECT_EQ(children(root), static_cast<std::size_t>(n));
    auto some = kids[static_cast<std::size_t>(n / 2)].first.done();
    const auto t0 = Clock::now();
    cancel_root();
    const auto took = Clock::now() - t0;
    EXPECT_LT(took, 10s);  // linear: milliseconds; a quadratic walk would take minutes
    EXPECT_EQ(children(root), 0u);
    EXPECT_EQ(some.recv(), std::nullopt);
    for (auto& k : kids) ASSERT_EQ(k.first.err(), gort::errc::canceled);
    kids.clear();
  });
}

// A chain 100,000 deep: cancelling and freeing it must not recurse.
TEST_P(ContextTest, DeepChainCancelsAndFreesWithoutRecursion) {
  run([] {
    const long n = scaled(100000, 20000);
    auto [root, cancel_root] = gort::with_cancel(gort::background());
    std::vector<gort::Context> chain{root};
    chain.reserve(static_cast<std::size_t>(n) + 1);
    for (long i = 0; i < n; ++i) chain.push_back(gort::with_cancel(chain.back()).first);
    gort::Context leaf = chain.back();
    chain.clear();  // front to back: every node is now kept only by its child
    EXPECT_EQ(children(root), 1u);
    cancel_root();
    EXPECT_EQ(leaf.err(), gort::errc::canceled);
    leaf = gort::Context();  // frees the whole chain, bottom up

    // Released from the bottom instead: each release drops its parent's last user.
    auto [root2, cancel_root2] = gort::with_cancel(gort::background());
    for (long i = 0; i < n; ++i) chain.push_back(gort::with_cancel(chain.empty() ? root2 : chain.back()).first);
    leaf = chain.back();
    chain.clear();
    EXPECT_EQ(children(root2), 1u);
    leaf = gort::Context();  // unregisters the whole chain, bottom up
    EXPECT_EQ(children(root2), 0u);
    cancel_root2();

    // Held only through the leaf's done(): cancelling reaches it, dropping frees all.
    auto [root3, cancel_root3] = gort::with_cancel(gort::background());
    for (long i = 0; i < n; ++i) chain.push_back(gort::with_cancel(chain.empty() ? root3 : chain.back()).first);
    gort::RecvChan<gort::Done> d = chain.back().done();
    chain.clear();
    EXPECT_EQ(children(root3), 1u);
    EXPECT_FALSE(is_closed(d));
    cancel_root3();
    EXPECT_TRUE(is_closed(d));
    d = {};  // frees the whole chain, from the channel's release hook

    // Every node's done() made (and dropped): retiring the chain bottom up drops each
    // node's own reference to its channel, still in a loop.
    auto [root4, cancel_root4] = gort::with_cancel(gort::background());
    for (long i = 0; i < n; ++i) {
      chain.push_back(gort::with_cancel(chain.empty() ? root4 : chain.back()).first);
      (void)chain.back().done();
    }
    leaf = chain.back();
    chain.clear();
    EXPECT_EQ(children(root4), 1u);
    leaf = gort::Context();
    EXPECT_EQ(children(root4), 0u);
    cancel_root4();
  });
}

// Parent and children cancelled at once from many goroutines, children created and
// dropped meanwhile: every child ends cancelled exactly once, the set ends empty.
TEST_P(ContextTest, ConcurrentCancelOfParentAndChildren) {
  run([] {
    const int rounds = static_cast<int>(scaled(200, 20));
    for (int r = 0; r < rounds; ++r) {
      auto [parent, cancel_parent] = gort::with_cancel(gort::background());
      constexpr int kKids = 32;
      std::vector<std::pair<gort::Context, gort::CancelFunc>> kids;
      for (int i = 0; i < kKids; ++i) kids.push_back(gort::with_cancel(parent));
      gort::WaitGroup wg;
      for (int i = 0; i < kKids; ++i)
        wg.go([k = kids[static_cast<std::size_t>(i)], i]() mutable {
          if (i % 2 == 0) k.second();
          if (i % 3 == 0) {
            auto grand = gort::with_timeout(k.first, i % 4 == 0 ? 0ms : 1h);
            (void)grand.first.err();
          }
          k = {};
        });
      wg.go([cancel = cancel_parent] { cancel(); });
      wg.go([p = parent] {  // children born around the cancellation
        for (int i = 0; i < 16; ++i) {
          auto c = gort::with_cancel(p);
          if (i % 2 == 0) gort::yield();
        }
      });
      wg.wait();
      for (auto& k : kids) {
        EXPECT_TRUE(k.first.err());
        EXPECT_TRUE(is_done(k.first));
      }
      kids.clear();
      EXPECT_EQ(children(parent), 0u);
    }
  });
}

// CancelFuncs and done() from plain threads, racing with goroutines.
TEST_P(ContextTest, CancelFromThreads) {
  run([] {
    const int rounds = static_cast<int>(scaled(100, 10));
    for (int r = 0; r < rounds; ++r) {
      auto root = gort::with_cancel(gort::background());
      auto child = gort::with_cancel(root.first);
      auto grand = gort::with_timeout(child.first, 1h);
      std::atomic<int> woke{0};
      gort::WaitGroup wg;
      for (int i = 0; i < 4; ++i)
        wg.go([g = grand.first, &woke] {
          (void)g.done().recv();
          woke.fetch_add(1);
        });
      std::thread a([c = root.second] { c(); });
      std::thread b([c = child.second] { c(); });
      std::thread w([g = grand.first, &woke] {
        (void)g.done().recv();
        woke.fetch_add(1);
      });
      grand.second();
      wg.wait();
      gort::blocking([&] {
        a.join();
        b.join();
        w.join();
      });
      EXPECT_EQ(woke.load(), 5);
      EXPECT_EQ(root.first.err(), gort::errc::canceled);
      EXPECT_EQ(child.first.err(), gort::errc::canceled);
      EXPECT_EQ(grand.first.err(), gort::errc::canceled);
    }
  });
}

// Many goroutines, each with its own short timeout: every one wakes by its deadline.
TEST_P(ContextTest, ManyTimeoutsFire) {
  run([] {
    const int n = static_cast<int>(scaled(1000, 100));
    auto [parent, cancel_parent] = gort::with_timeout(gort::background(), 1h);
    std::atomic<int> exceeded{0};
    gort::WaitGroup wg;
    for (int i = 0; i < n; ++i)
      wg.go(
          [&exceeded, parent = parent](int ms) {
            auto [c, cancel] = gort::with_timeout(parent, std::chrono::milliseconds(ms));
            (void)c.done().recv();
            if (c.err() == gort::errc::deadline_exceeded) exceeded.fetch_add(1);
          },
          1 + i % 20);
    wg.wait();
    EXPECT_EQ(exceeded.load(), n);
    EXPECT_EQ(children_after_timers(parent), 0u);
    cancel_parent();
  });
}

// A goroutine blocked on done() when main returns is abandoned like any other.
TEST_P(ContextTest, AbandonedWaiterIsUnwound) {
  std::atomic<int> live{0};
  struct Tracked {
    std::atomic<int>* n;
    explicit Tracked(std::atomic<int>* p) : n(p) { n->fetch_add(1); }
    ~Tracked() { n->fetch_sub(1); }
  };
  run([&live] {
    auto [ctx, cancel] = gort::with_timeout(gort::background(), 1h);
    auto started = gort::make_chan<int>(1);
    gort::go([c = ctx, started, &live]() mutable {
      Tracked t(&live);
      started.send(1);
      (void)c.done().recv();
    });
    (void)started.recv();
  });
  EXPECT_EQ(live.load(), 0);
}

TEST(Context, WorksWithoutARuntime) {
  auto [root, cancel_root] = gort::with_cancel(gort::background());
  auto child = gort::with_cancel(root);
  std::thread waiter([d = child.first.done()] { (void)d.recv(); });
  std::thread canceller([c = cancel_root] { c(); });
  waiter.join();
  canceller.join();
  EXPECT_EQ(child.first.err(), gort::errc::canceled);
  auto past = gort::with_deadline(gort::background(), Clock::now() - 1s);  // no timer needed
  EXPECT_EQ(past.first.err(), gort::errc::deadline_exceeded);
  auto capped = gort::with_timeout(past.first, 1h);  // the parent is done: no timer either
  EXPECT_EQ(capped.first.err(), gort::errc::deadline_exceeded);
  EXPECT_THROW(gort::with_timeout(gort::background(), 1h), std::logic_error);
}

}  // namespace
