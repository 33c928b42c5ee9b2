// timer_race_test.cpp -- timers raced by the Ms that fire them, at 2, 4 and 8 Ps.
//
// Each test recreates one interleaving that once broke gort's timers: a delivery in
// flight on one M while another M stops, resets or drops the timer (use-after-free,
// stale values), and an M that goes to sleep for a far timer while a near one is armed
// (a lost wake-up).  They are built to hit the window in every run on two cores, and
// run in the ASan and TSan builds too.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = gort::Clock;

class TimerRace : public ::testing::TestWithParam<int> {
 protected:
  template <class F>
  void run(F&& f) {
    gort::run(std::forward<F>(f), gort::Options{.max_procs = GetParam()});
  }
};

// Aborts the process if the guarded scope does not end within `limit`: a lost wake-up
// shows up as a hang, and a hang should fail the test with a message, not time out.
class Watchdog {
 public:
  Watchdog(const char* what, std::chrono::seconds limit)
      : thread_([this, what, limit] {
          std::unique_lock<std::mutex> lk(mu_);
          if (!cv_.wait_for(lk, limit, [this] { return done_; })) {
            std::fprintf(stderr, "watchdog: %s did not finish within %llds (lost wake-up)\n", what,
                         static_cast<long long>(limit.count()));
            gort::dump_goroutines(std::cerr);
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// The most common pattern there is: select on a channel and after(d) in a loop.  The
// loser's timer channel is dropped as select returns, often while another M is
// delivering into it.
TEST_P(TimerRace, SelectWithAfterDropsTimersBeingFired) {
  const int workers = 8;
  const long rounds = gort_test::scaled(20000, 2000);
  run([&] {
    auto work = gort::make_chan<int>(64);
    std::atomic<long> received{0};
    gort::WaitGroup wg;
    for (int w = 0; w < workers; ++w) {
      wg.go([&, w] {
        for (long i = 0; i < rounds; ++i) {
          // Deadlines of 0-7 us: due about when select looks, so some fire on another
          // M (a thief, or the timer sleeper) exactly as the case is dropped.
          auto d = std::chrono::microseconds((i + w) % 8);
          gort::select({gort::on_recv{work,
                                      [&](std::optional<int> v) {
                                        if (v) received.fetch_add(1, std::memory_order_relaxed);
                                      }},
                        gort::on_recv{gort::after(d)}});
        }
      });
    }
    gort::go([&] {
      for (long i = 0; i < rounds; ++i) {
        work.send(1);
        if (i % 8 == 0) gort::yield();
      }
    });
    wg.wait();
    // Whatever select did not take is still queued: nothing was lost or duplicated.
    long left = 0;
    while (work.try_recv()) ++left;
    EXPECT_EQ(received.load() + left, rounds);
  });
}

// Timers created and dropped at once, while they are due: the channel's release races
// the delivery.
TEST_P(TimerRace, DroppingADueTimerWhileItFires) {
  const long rounds = gort_test::scaled(40000, 4000);
  run([&] {
    gort::WaitGroup wg;
    for (int w = 0; w < 4; ++w) {
      wg.go([&, w] {
        for (long i = 0; i < rounds; ++i) {
          auto ch = gort::after(std::chrono::nanoseconds((i * 131 + w) % 3000));
          if (i % 4 == 0) gort::yield();  // let another M find it due
        }
      });
    }
    wg.wait();
  });
}

// Busy-waits (no yield, no sleep: the thread stays on its core) until `t`.
void spin_until(Clock::time_point t) {
  while (Clock::now() < t) {
  }
}

// A batch of timers due one after another, fired together by one M, while a thread on
// the other core stops them in firing order, right behind the firing M: once stop()
// returned, no value may arrive (Go 1.23), now or later.  `act` is the stop or reset.
template <class Act>
long stale_values_after(Act act) {
  const int batch = 256;
  const long rounds = gort_test::scaled(1000, 100);
  long stale = 0;
  for (long r = 0; r < rounds; ++r) {
    std::vector<gort::Timer> timers;
    timers.reserve(batch);
    const auto base = Clock::now() + 300us;
    for (int i = 0; i < batch; ++i) timers.emplace_back(base + std::chrono::nanoseconds(40 * i) - Clock::now());
    std::atomic<long> stale_now{0};
    std::thread stopper([&] {
      spin_until(base + std::chrono::microseconds(r % 40));
      for (auto& t : timers) {
        act(t);
        if (t.channel().try_recv()) stale_now.fetch_add(1);
      }
    });
    gort::blocking([&] { stopper.join(); });
    gort::sleep(100us);  // a delivery still in flight would have landed by now
    for (auto& t : timers)
      if (t.channel().try_recv()) ++stale;
    stale += stale_now.load();
  }
  return stale;
}

TEST_P(TimerRace, NoStaleValueAfterStop) {
  run([] {
    long stale = stale_values_after([](gort::Timer& t) { t.stop(); });
    EXPECT_EQ(stale, 0) << "values delivered after stop() returned";
  });
}

// The same with reset(1h): the old schedule's value must not follow reset().
TEST_P(TimerRace, NoStaleValueAfterReset) {
  run([] {
    long stale = stale_values_after([](gort::Timer& t) { t.reset(1h); });
    EXPECT_EQ(stale, 0) << "values of the old schedule delivered after reset() returned";
  });
}

// stop() racing a Ticker's deliveries: after stop, no tick arrives.
TEST_P(TimerRace, NoTickAfterTickerStop) {
  const long rounds = gort_test::scaled(300, 40);
  run([&] {
    long stale = 0;
    for (long r = 0; r < rounds; ++r) {
      std::vector<gort::Ticker> tickers;
      for (int i = 0; i < 64; ++i) tickers.emplace_back(std::chrono::microseconds(50 + i % 4));
      std::thread stopper([&] {
        spin_until(Clock::now() + std::chrono::microseconds(40 + r % 60));
        for (auto& tk : tickers) {
          tk.stop();
          if (tk.channel().try_recv()) ++stale;
        }
      });
      gort::blocking([&] { stopper.join(); });
      gort::sleep(150us);
      for (auto& tk : tickers)
        if (tk.channel().try_recv()) ++stale;
    }
    EXPECT_EQ(stale, 0);
  });
}

// A far timer exists; short sleeps must still return.  The M that sleeps for timers
// may have registered for the far deadline just as the short timer was armed.
TEST_P(TimerRace, ShortSleepsReturnWhileAFarTimerExists) {
  const long rounds = gort_test::scaled(8000, 800);
  run([&] {
    gort::Timer far(1h);
    Watchdog dog("sleep(20us) loop beside a Timer(1h)", std::chrono::seconds(60));
    for (long i = 0; i < rounds / 4; ++i) gort::sleep(20us);
    // Busy for a varying while after each wake-up: the M woken to help (and finding
    // nothing) reads the earliest deadline at some point of that while; sooner or later
    // just before this goroutine arms its next 20 us.
    {
      gort::WaitGroup wg;
      for (int w = 0; w < 2; ++w)
        wg.go([&, w] {
          for (long i = 0; i < rounds / 2; ++i) {
            gort::sleep(20us);
            spin_until(Clock::now() + std::chrono::nanoseconds((i * 7919 + w * 3217) % 60000));
          }
        });
      wg.wait();
    }
    // With a goroutine that keeps another M going idle and waking: one M reads the
    // earliest deadline (1 h) just before the other arms 20 us.
    std::atomic<bool> stop{false};
    auto churner_done = gort::make_chan<int>();
    gort::go([&] {
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (i % 3 == 0)
          gort::sleep(std::chrono::microseconds(i % 7));
        else
          gort::yield();
      }
      churner_done.send(1);
    });
    for (long i = 0; i < rounds / 4; ++i) gort::sleep(20us);
    stop = true;
    (void)churner_done.recv();
    // And from several goroutines at once, so the sleeper is re-aimed while others arm.
    gort::WaitGroup wg;
    for (int w = 0; w < 4; ++w)
      wg.go([&] {
        for (long i = 0; i < rounds / 4; ++i) gort::sleep(std::chrono::microseconds(1 + i % 50));
      });
    wg.wait();
    EXPECT_TRUE(far.stop());
  });
}

// A goroutine that needs an earlier wake-up than the registered sleeper's must get it
// even when every other M is idle: a near timer armed from a foreign thread.
TEST_P(TimerRace, NearTimerFromAForeignThreadBesideAFarOne) {
  const long rounds = gort_test::scaled(2000, 200);
  run([&] {
    gort::Timer far(1h);
    Watchdog dog("after(50us) from a thread beside a Timer(1h)", std::chrono::seconds(60));
    std::thread th([&] {
      for (long i = 0; i < rounds; ++i) (void)gort::after(50us).recv();
    });
    gort::blocking([&] { th.join(); });
    far.stop();
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, TimerRace, ::testing::Values(2, 4, 8),
                         [](const ::testing::TestParamInfo<int>& i) { return "P" + std::to_string(i.param); });

}  // namespace
