// group_test.cpp -- gort::Group (errgroup): join, first exception rethrown as thrown,
// context cancelled on failure / by the parent / by wait(), set_limit and try_go,
// goexit in a member, argument lifetimes, nested members, a Group dropped without
// wait(), and use from plain threads.  Each over max_procs 1, 2, 4.
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using gort_test::ProcsTest;
using gort_test::scaled;
using namespace std::chrono_literals;

class GroupTest : public ProcsTest {};
GORT_INSTANTIATE_PROCS(GroupTest);

std::string panic_text(const std::optional<gort::Panic>& p) { return p ? p->what() : "<no panic>"; }

bool is_done(const gort::Context& c) { return gort::select(gort::on_recv(c.done()), gort::on_default()) == 0; }

// Raises `peak` to at least `v`.
void raise_to(std::atomic<int>& peak, int v) {
  int p = peak.load();
  while (v > p && !peak.compare_exchange_weak(p, v)) {
  }
}

TEST_P(GroupTest, WaitWithoutMembersCancelsTheContext) {
  run([] {
    gort::Group g;
    auto ctx = g.context();
    EXPECT_FALSE(ctx.err());
    g.wait();
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
    g.wait();  // again: nothing to join, nothing to rethrow
  });
}

TEST_P(GroupTest, JoinsEveryMemberThenCancels) {
  run([] {
    gort::Group g;
    auto ctx = g.context();
    std::atomic<int> sum{0};
    const int n = static_cast<int>(scaled(1000, 100));
    for (int i = 1; i <= n; ++i)
      g.go(
          [&sum, ctx](int k) {
            EXPECT_FALSE(ctx.err());  // live while members run (none fails)
            gort::yield();
            sum.fetch_add(k);
          },
          i);
    g.wait();
    EXPECT_EQ(sum.load(), n * (n + 1) / 2);
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
  });
}

TEST_P(GroupTest, FirstExceptionIsRethrownAsThrownAndCancels) {
  run([] {
    gort::Group g;
    auto ctx = g.context();
    std::atomic<int> released{0};
    g.go([] { throw std::runtime_error("first"); });
    g.go([ctx] {
      (void)ctx.done().recv();  // released by the first failure
      throw std::logic_error("second");  // dropped
    });
    for (int i = 0; i < 10; ++i)
      g.go([ctx, &released] {
        (void)ctx.done().recv();
        released.fetch_add(1);
      });
    std::string what;
    try {
      g.wait();
      ADD_FAILURE() << "wait() did not throw";
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    EXPECT_EQ(what, "first");
    EXPECT_EQ(released.load(), 10);
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
  });
}

struct NotAStdException {
  int code;
};

TEST_P(GroupTest, AnyExceptionTypeIsCarriedAndKeptAcrossWaits) {
  run([] {
    gort::Group g;
    const NotAStdException* thrown_at = nullptr;
    g.go([&thrown_at] {
      try {
        throw NotAStdException{42};
      } catch (const NotAStdException& e) {
        thrown_at = &e;  // the object itself travels: same address in wait()'s catch
        throw;
      }
    });
    for (int round = 0; round < 2; ++round) {
      try {
        g.wait();
        ADD_FAILURE() << "wait() did not throw";
      } catch (const NotAStdException& e) {
        EXPECT_EQ(e.code, 42);
        EXPECT_EQ(&e, thrown_at);
      }
    }
  });
}

TEST_P(GroupTest, PanicInAMemberIsCapturedNotFatal) {
  run([] {
    gort::Group g;
    g.go([] { gort::panic("member panicked"); });
    std::string what;
    try {
      g.wait();
    } catch (const gort::Panic& p) {
      what = p.what();
    }
    EXPECT_EQ(what, "member panicked");
  });
}

TEST_P(GroupTest, GoexitEndsAMemberWithoutError) {
  run([] {
    gort::Group g;
    std::atomic<bool> after{false};
    g.go([&after] {
      gort::goexit();
      after = true;
    });
    g.wait();  // does not throw
    EXPECT_FALSE(after.load());
  });
}

TEST_P(GroupTest, ParentCancellationReachesTheGroup) {
  run([] {
    auto [parent, cancel] = gort::with_cancel(gort::background());
    gort::Group g(parent);
    auto gc = g.context();
    EXPECT_FALSE(gc.err());
    g.go([gc] { (void)gc.done().recv(); });
    cancel();
    g.wait();
    EXPECT_EQ(gc.err(), gort::errc::canceled);

    auto timed = gort::with_timeout(gort::background(), 10ms);
    gort::Group tg(timed.first);
    EXPECT_EQ(tg.context().deadline(), timed.first.deadline());
    tg.go([c = tg.context()] { (void)c.done().recv(); });
    tg.wait();
    EXPECT_EQ(tg.context().err(), gort::errc::deadline_exceeded);

    // A group's context is cancelled by wait(), never its parent.
    auto p2 = gort::with_cancel(gort::background());
    {
      gort::Group g2(p2.first);
      g2.go([] { throw 1; });
      EXPECT_THROW(g2.wait(), int);
    }
    EXPECT_FALSE(p2.first.err());
    EXPECT_EQ(gort::detail::context_child_count(p2.first), 0u);
  });
}

TEST_P(GroupTest, SetLimitCapsRunningMembersAndGoBlocks) {
  run([] {
    gort::Group g;
    g.set_limit(3);
    std::atomic<int> cur{0}, peak{0}, started{0};
    auto gate = gort::make_chan<int>();
    for (int i = 0; i < 3; ++i)
      g.go([&, gate] {
        raise_to(peak, cur.fetch_add(1) + 1);
        started.fetch_add(1);
        (void)gate.recv();
        cur.fetch_sub(1);
      });
    // The 4th go() must block until a member ends.
    std::atomic<bool> fourth_started{false};
    auto spawner_done = gort::make_chan<int>(1);
    gort::go([&, gate, spawner_done] {
      g.go([&] {
        raise_to(peak, cur.fetch_add(1) + 1);
        cur.fetch_sub(1);
      });
      fourth_started = true;
      spawner_done.send(1);
    });
    while (started.load() < 3) gort::yield();
    gort::sleep(20ms);
    EXPECT_FALSE(fourth_started.load());
    gate.close();
    (void)spawner_done.recv();
    g.wait();
    EXPECT_TRUE(fourth_started.load());
    EXPECT_LE(peak.load(), 3);

    // Many members under a limit of 2.
    gort::Group h;
    h.set_limit(2);
    cur = 0;
    peak = 0;
    for (int i = 0; i < 40; ++i)
      h.go([&] {
        raise_to(peak, cur.fetch_add(1) + 1);
        gort::sleep(1ms);
        cur.fetch_sub(1);
      });
    h.wait();
    EXPECT_LE(peak.load(), 2);
    EXPECT_GE(peak.load(), 1);
  });
}

TEST_P(GroupTest, SetLimitWhileLimitedMembersRunPanics) {
  run([] {
    gort::Group g;
    g.set_limit(4);
    auto gate = gort::make_chan<int>();
    for (int i = 0; i < 2; ++i) g.go([gate] { (void)gate.recv(); });
    EXPECT_EQ(panic_text(gort::recover([&] { g.set_limit(8); })),
              "errgroup: modify limit while 2 goroutines in the group are still active");
    gort::Group unlimited;  // no limit yet: changing it is allowed (Go's rule: len(nil) == 0)
    unlimited.go([gate] { (void)gate.recv(); });
    unlimited.set_limit(1);
    g.set_limit(-1);  // removing the limit is always allowed
    gate.close();
    g.wait();
    unlimited.wait();
    g.set_limit(1);  // nobody active any more
    g.go([] {});
    g.wait();
  });
}

TEST_P(GroupTest, TryGoRespectsTheLimit) {
  run([] {
    gort::Group g;
    g.set_limit(1);
    auto gate = gort::make_chan<int>();
    std::atomic<int> ran{0};
    EXPECT_TRUE(g.try_go([gate, &ran] {
      (void)gate.recv();
      ran.fetch_add(1);
    }));
    EXPECT_FALSE(g.try_go([&ran] { ran.fetch_add(100); }));
    gate.close();
    g.wait();
    EXPECT_EQ(ran.load(), 1);
    EXPECT_TRUE(g.try_go([&ran](int k) { ran.fetch_add(k); }, 10));
    g.wait();
    EXPECT_EQ(ran.load(), 11);
    gort::Group unlimited;
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(unlimited.try_go([] {}));
    unlimited.wait();
  });
}

TEST_P(GroupTest, ArgumentsAreCopiedAndDestroyedBeforeWaitReturns) {
  run([] {
    gort::Group g;
    std::atomic<int> sum{0};
    g.go([&](int a, int b, int c, int d, int e) { sum += a + b + c + d + e; }, 1, 2, 3, 4, 5);
    auto token = std::make_shared<int>(7);
    std::weak_ptr<int> watch = token;
    g.go([&sum](std::shared_ptr<int> p, std::string s) { sum += *p + static_cast<int>(s.size()); }, token,
         std::string("abc"));
    g.go([t = std::move(token), &sum] { sum += *t; });
    g.wait();
    EXPECT_EQ(sum.load(), 15 + 10 + 7);
    EXPECT_TRUE(watch.expired());  // every copy of f and args is gone once wait() returned
  });
}

TEST_P(GroupTest, MembersMayStartMembers) {
  run([] {
    gort::Group g;
    std::atomic<int> n{0};
    std::function<void(int)> tree = [&](int depth) {
      n.fetch_add(1);
      if (depth > 0)
        for (int i = 0; i < 2; ++i) g.go(tree, depth - 1);
    };
    g.go(tree, 6);
    g.wait();
    EXPECT_EQ(n.load(), 127);
  });
}

// Dropping a Group without wait() cancels its context; members finish on their own,
// against state they share with it.
TEST_P(GroupTest, DestroyedWithoutWaitCancelsAndLetsMembersFinish) {
  run([] {
    gort::WaitGroup finished;
    gort::Context ctx;
    {
      gort::Group g;
      ctx = g.context();
      for (int i = 0; i < 5; ++i) {
        finished.add(1);
        g.go([c = g.context(), &finished] {
          (void)c.done().recv();
          gort::sleep(1ms);
          finished.done();
          throw std::runtime_error("after the group is gone");  // dropped
        });
      }
    }
    EXPECT_EQ(ctx.err(), gort::errc::canceled);
    finished.wait();
  });
}

TEST_P(GroupTest, FromPlainThreads) {
  run([] {
    gort::Group g;
    std::atomic<int> n{0};
    std::thread t([&] {
      for (int i = 0; i < 10; ++i) g.go([&n] { n.fetch_add(1); });
      try {
        g.wait();  // blocks the thread
      } catch (...) {
        ADD_FAILURE() << "no member threw";
      }
    });
    gort::blocking([&] { t.join(); });
    EXPECT_EQ(n.load(), 10);
    EXPECT_TRUE(is_done(g.context()));
  });
}

// A failing member among many, under a limit, with others watching the context.
TEST_P(GroupTest, FailureUnderALimitStopsTheRest) {
  run([] {
    const int n = static_cast<int>(scaled(200, 40));
    gort::Group g;
    g.set_limit(4);
    auto ctx = g.context();
    std::atomic<int> stopped{0};
    for (int i = 0; i < n; ++i)
      g.go(
          [ctx, &stopped](int k) {
            if (k == 10) throw std::runtime_error("boom");
            if (gort::select(gort::on_recv(ctx.done()), gort::on_recv(gort::after(1ms))) == 0) stopped.fetch_add(1);
          },
          i);
    EXPECT_THROW(g.wait(), std::runtime_error);
    EXPECT_GT(stopped.load(), 0);
  });
}

}  // namespace
