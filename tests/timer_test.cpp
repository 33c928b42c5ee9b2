// timer_test.cpp -- Timer, Ticker, after, after_func (Go 1.23 semantics).
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "time.hpp"  // src/: any_timers()

namespace {

using namespace std::chrono_literals;
using Clock = gort::Clock;

class TimerP : public gort_test::ProcsTest {};

TEST_P(TimerP, AfterDeliversOnceAfterTheDuration) {
  run([] {
    auto t0 = Clock::now();
    auto ch = gort::after(20ms);
    auto v = ch.recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - t0, 20ms);
    EXPECT_GE(Clock::now() - t0, 20ms);
    EXPECT_FALSE(ch.try_recv().has_value());  // only one value
  });
}

TEST_P(TimerP, ZeroAndNegativeFireAtOnce) {
  run([] {
    auto t0 = Clock::now();
    (void)gort::after(0ms).recv();
    (void)gort::after(-1s).recv();
    gort::Timer t(-5ms);
    (void)t.channel().recv();
    EXPECT_LT(Clock::now() - t0, 500ms);
  });
}

TEST_P(TimerP, StopBeforeFiringPreventsTheValue) {
  run([] {
    gort::Timer t(30ms);
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop());  // already stopped
    gort::sleep(60ms);
    EXPECT_FALSE(t.channel().try_recv().has_value());
  });
}

// Go 1.23: timer channels are synchronous: len and cap are 0, even with a value due.
TEST_P(TimerP, TimerChannelsReportNoBuffer) {
  run([] {
    gort::Timer t(1ms);
    gort::Ticker tk(1ms);
    auto a = gort::after(1ms);
    EXPECT_EQ(t.channel().capacity(), 0u);
    EXPECT_EQ(tk.channel().capacity(), 0u);
    EXPECT_EQ(a.capacity(), 0u);
    gort::sleep(20ms);  // all three fired; nobody received
    EXPECT_EQ(t.channel().size(), 0u);
    EXPECT_EQ(tk.channel().size(), 0u);
    EXPECT_EQ(a.size(), 0u);
    EXPECT_TRUE(t.channel().try_recv().has_value());  // the value is there all the same
    EXPECT_TRUE(tk.channel().try_recv().has_value());
    EXPECT_TRUE(a.try_recv().has_value());
    tk.stop();
  });
}

// Go 1.23: a fired but unreceived value counts as active; stop drains it.
TEST_P(TimerP, StopAfterFiringDrainsTheUnreceivedValue) {
  run([] {
    gort::Timer t(1ms);
    gort::sleep(30ms);  // fired, nobody received
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.channel().try_recv().has_value());  // no stale value
    EXPECT_FALSE(t.stop());
  });
}

TEST_P(TimerP, StopAndResetReturnFalseOnceReceived) {
  run([] {
    gort::Timer t(1ms);
    EXPECT_TRUE(t.channel().recv().has_value());
    EXPECT_FALSE(t.stop());
    EXPECT_FALSE(t.reset(1ms));  // reset of an expired timer: false, but re-armed
    EXPECT_TRUE(t.channel().recv().has_value());
  });
}

TEST_P(TimerP, ResetReplacesTheScheduleWithoutStaleValues) {
  run([] {
    gort::Timer t(1ms);
    gort::sleep(20ms);  // fired, value pending
    auto t0 = Clock::now();
    EXPECT_TRUE(t.reset(40ms));  // drains the old value
    auto v = t.channel().recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_GE(*v - t0, 40ms);  // the value is from the new schedule
    // Reset of a stopped timer returns false and arms it again.
    gort::Timer s(1h);
    EXPECT_TRUE(s.stop());
    EXPECT_FALSE(s.reset(5ms));
    EXPECT_TRUE(s.channel().recv().has_value());
  });
}

// An armed timer moves within its heap: earlier, later, past others; the heap keeps
// firing in deadline order.
TEST_P(TimerP, ResetOfAnArmedTimerMovesItEitherWay) {
  run([] {
    auto t0 = Clock::now();
    gort::Timer a(1h), b(30ms), c(60ms);
    EXPECT_TRUE(a.reset(10ms));   // from last to first
    EXPECT_TRUE(b.reset(1h));     // from first to last
    EXPECT_TRUE(b.reset(90ms));   // later than c, earlier than it was
    auto va = a.channel().recv(), vc = c.channel().recv(), vb = b.channel().recv();
    ASSERT_TRUE(va && vb && vc);
    EXPECT_GE(*va - t0, 10ms);
    EXPECT_GE(*vc - t0, 60ms);
    EXPECT_GE(*vb - t0, 90ms);
    EXPECT_LT(*va, *vc);
    EXPECT_LT(*vc, *vb);
    EXPECT_LT(Clock::now() - t0, 30s);
    gort::Ticker tk(1h);
    tk.reset(2ms);  // an armed ticker takes the new period at once
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(tk.channel().recv().has_value());
  });
}

// Goroutines reset and stop one timer concurrently, with deadlines short enough that it
// fires among them.  Whatever the interleaving, once the last stop() returned nothing
// is left to receive, and a reset after that delivers exactly one value.
TEST_P(TimerP, ConcurrentResetsAndStopsOfOneTimer) {
  run([] {
    gort::Timer t(1h);
    gort::WaitGroup wg;
    for (int g = 0; g < 4; ++g) {
      wg.add(1);
      gort::go([&t, &wg, g] {
        for (int i = 0; i < 2000; ++i) {
          if ((i + g) % 3 == 0)
            (void)t.stop();
          else
            (void)t.reset(std::chrono::microseconds((i * 7 + g) % 50));
          if (i % 64 == 0) gort::yield();
        }
        wg.done();
      });
    }
    wg.wait();
    (void)t.stop();
    EXPECT_FALSE(t.channel().try_recv().has_value());
    EXPECT_FALSE(t.reset(1ms));
    EXPECT_TRUE(t.channel().recv().has_value());
    gort::sleep(5ms);
    EXPECT_FALSE(t.channel().try_recv().has_value());
  });
}

// The only M sleeps until the timer's deadline an hour away; a thread that is no M
// moves the deadline to now: the sleeping M must be woken for it.
TEST_P(TimerP, ResetToEarlierFromAForeignThreadWakesTheSleepingM) {
  run([] {
    gort::Timer t(1h);
    std::thread th([t]() mutable {
      std::this_thread::sleep_for(30ms);  // the receiver is parked and its M asleep by then
      EXPECT_TRUE(t.reset(1ms));
    });
    auto t0 = Clock::now();
    EXPECT_TRUE(t.channel().recv().has_value());
    EXPECT_LT(Clock::now() - t0, 30s);
    gort::blocking([&] { th.join(); });
  });
}

TEST_P(TimerP, CopiesShareTheTimer) {
  run([] {
    gort::Timer a(1h);
    gort::Timer b = a;
    EXPECT_TRUE(b.stop());
    EXPECT_FALSE(a.stop());
    EXPECT_TRUE(a.channel() == b.channel());
  });
}

TEST_P(TimerP, AfterFuncRunsInItsOwnGoroutine) {
  run([] {
    gort::WaitGroup wg;
    wg.add(1);
    std::atomic<std::uint64_t> ran_in{0};
    auto t = gort::after_func(10ms, [&] {
      ran_in = gort::goroutine_id();
      wg.done();
    });
    EXPECT_FALSE(t.channel());  // no channel: nil
    wg.wait();
    EXPECT_GT(ran_in.load(), 1u);
    EXPECT_FALSE(t.stop());  // already fired
    // Stopped before it fires: f never runs; reset makes it run again.
    std::atomic<int> runs{0};
    auto u = gort::after_func(30ms, [&] { runs.fetch_add(1); });
    EXPECT_TRUE(u.stop());
    gort::sleep(60ms);
    EXPECT_EQ(runs.load(), 0);
    EXPECT_FALSE(u.reset(1ms));
    for (int i = 0; i < 2000 && runs.load() == 0; ++i) gort::sleep(1ms);
    EXPECT_EQ(runs.load(), 1);
  });
}

TEST_P(TimerP, AfterFuncFiresEvenIfTheTimerObjectIsGone) {
  run([] {
    gort::WaitGroup wg;
    wg.add(1);
    { (void)gort::after_func(5ms, [&] { wg.done(); }); }
    wg.wait();  // the armed timer kept itself alive (and is no deadlock)
  });
}

TEST_P(TimerP, TickerTicksAndDropsForASlowReader) {
  run([] {
    auto t0 = Clock::now();  // before the ticker: its period starts when it is made
    gort::Ticker tk(10ms);
    for (int i = 1; i <= 3; ++i) {
      auto v = tk.channel().recv();
      ASSERT_TRUE(v.has_value());
      EXPECT_GE(Clock::now() - t0, i * 10ms);
    }
    gort::sleep(100ms);  // ten periods without reading
    EXPECT_TRUE(tk.channel().try_recv().has_value());   // one pending tick...
    EXPECT_FALSE(tk.channel().try_recv().has_value());  // ...not ten
    tk.stop();
    gort::sleep(30ms);
    EXPECT_FALSE(tk.channel().try_recv().has_value());  // stopped: nothing more
    tk.reset(5ms);
    EXPECT_TRUE(tk.channel().recv().has_value());
    EXPECT_THROW(gort::Ticker(0ms), gort::Panic);
    EXPECT_THROW(tk.reset(-1ms), gort::Panic);
  });
}

// Nobody can observe these timers any more: they are disarmed and freed at once.
TEST_P(TimerP, UnreferencedTimersAreFreed) {
  run([] {
    for (int i = 0; i < 1000; ++i) {
      (void)gort::after(1h);
      gort::Timer t(1h);
      gort::Ticker tk(1h);
    }
    EXPECT_FALSE(gort::detail::any_timers());
  });
}

TEST_P(TimerP, TimersWorkInSelect) {
  run([] {
    auto never = gort::make_chan<int>();
    auto t0 = Clock::now();
    std::size_t which = gort::select(gort::on_recv(never), gort::on_recv(gort::after(20ms)));
    EXPECT_EQ(which, 1u);
    EXPECT_GE(Clock::now() - t0, 20ms);
  });
}

// stop/reset from several goroutines while the timer fires: no crash, no double
// arming, and afterwards exactly the values the last schedule allows.
TEST_P(TimerP, ConcurrentStopResetAndFire) {
  const int rounds = static_cast<int>(gort_test::scaled(2000, 200));
  run([rounds] {
    gort::Timer t(1ms);
    gort::WaitGroup wg;
    for (int g = 0; g < 4; ++g) {
      wg.go([&t, rounds, g] {
        for (int i = 0; i < rounds; ++i) {
          if ((i + g) % 3 == 0)
            t.stop();
          else
            t.reset(std::chrono::microseconds((i * 37 + g) % 200));
          if (i % 16 == 0) (void)t.channel().try_recv();
          if (i % 64 == 0) gort::yield();
        }
      });
    }
    wg.wait();
    t.stop();
    EXPECT_FALSE(t.channel().try_recv().has_value());
    EXPECT_FALSE(t.stop());
    EXPECT_FALSE(t.reset(1ms));
    EXPECT_TRUE(t.channel().recv().has_value());
  });
}

// Timers created and received from a thread that is not a goroutine.
TEST_P(TimerP, FromAForeignThread) {
  run([] {
    std::atomic<bool> got{false};
    std::thread th([&] {
      auto ch = gort::after(10ms);
      got = ch.recv().has_value();
    });
    gort::blocking([&] { th.join(); });
    EXPECT_TRUE(got.load());
  });
}

TEST(Timer, NeedsARuntime) {
  EXPECT_THROW(gort::Timer(1ms), std::logic_error);
  EXPECT_THROW((void)gort::after(1ms), std::logic_error);
  EXPECT_THROW((void)gort::after_func(1ms, [] {}), std::logic_error);
}

// Timers outliving run() are harmless: stop works, reset needs a runtime again.
TEST(Timer, OutlivingTheRuntime) {
  std::optional<gort::Timer> kept;
  std::optional<gort::Timer> func;
  // Both timers are held past the run on purpose, the first with its channel.
  gort_test::AllowLeftovers allow({.channels = 1, .timers = 2});
  gort::run([&] {
    kept.emplace(1h);
    func.emplace(gort::after_func(1h, [] {}));
  });
  EXPECT_FALSE(kept->stop());  // the runtime discarded it
  EXPECT_FALSE(func->stop());
  EXPECT_THROW(kept->reset(1ms), std::logic_error);
}

GORT_INSTANTIATE_PROCS(TimerP);

}  // namespace
