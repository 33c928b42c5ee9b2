// proc_test.cpp -- run(), go(), goroutine identity, yield, goexit, foreign threads,
// work distribution, idleness and abandonment: the scheduler's behaviour, over
// max_procs 1, 2 and 4.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sanitizers.hpp"
#include "test_util.hpp"

#if !GORT_ASAN && !GORT_TSAN  // the sanitizers own operator new
// Over-aligned operator new, which go() uses for a frame too big to live in the G,
// fails on demand: the honest way to meet a std::bad_alloc from go().
namespace {
std::atomic<bool> g_fail_aligned_new{false};
}
void* operator new(std::size_t size, std::align_val_t align) {
  if (g_fail_aligned_new.load(std::memory_order_relaxed)) throw std::bad_alloc();
  const auto a = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#endif

namespace {

using namespace std::chrono_literals;

class Proc : public gort_test::ProcsTest {};

std::int64_t process_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ------------------------------------------------------------------ run()

TEST(Run, ReturnsMainsResult) {
  EXPECT_EQ(gort::run([] { return 7; }), 7);
  EXPECT_EQ(gort::run([] {}), 0);
  int x = 0;
  EXPECT_EQ(gort::run([&x] { x = 5; }), 0);
  EXPECT_EQ(x, 5);
  const auto lambda = [] { return 9; };  // a const lvalue callable
  EXPECT_EQ(gort::run(lambda), 9);
}

TEST(Run, MaxProcsFromOptionsEnvironmentAndHardware) {
  int procs = -1;
  gort::run([&] { procs = gort::max_procs(); }, gort::Options{.max_procs = 3});
  EXPECT_EQ(procs, 3);
  setenv("GORT_MAXPROCS", "2", 1);
  gort::run([&] { procs = gort::max_procs(); });
  EXPECT_EQ(procs, 2);
  setenv("GORT_MAXPROCS", "two", 1);
  EXPECT_THROW(gort::run([] {}), std::invalid_argument);
  unsetenv("GORT_MAXPROCS");
  gort::run([&] { procs = gort::max_procs(); });
  EXPECT_EQ(procs, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  EXPECT_THROW(gort::run([] {}, gort::Options{.max_procs = -1}), std::invalid_argument);
  EXPECT_EQ(gort::max_procs(), 0);  // outside run
  EXPECT_EQ(gort::run([] { return 1; }), 1);  // a failed start left nothing behind
}

TEST(Run, NestedAndConcurrentRunsThrow) {
  bool nested = false, concurrent = false;
  gort::run([&] {
    try {
      gort::run([] {});
    } catch (const std::logic_error&) {
      nested = true;
    }
    gort::blocking([&] {
      std::thread([&] {
        try {
          gort::run([] {});
        } catch (const std::logic_error&) {
          concurrent = true;
        }
      }).join();
    });
  });
  EXPECT_TRUE(nested);
  EXPECT_TRUE(concurrent);
}

TEST(Run, GoOutsideRunThrows) {
  EXPECT_THROW(gort::go([] {}), std::logic_error);
  bool threw = false;
  std::thread([&] {
    try {
      gort::go([] {});
    } catch (const std::logic_error&) {
      threw = true;
    }
  }).join();
  EXPECT_TRUE(threw);
  EXPECT_EQ(gort::goroutine_id(), 0u);
  EXPECT_EQ(gort::num_goroutine(), 0);
  EXPECT_THROW(gort::goexit(), std::logic_error);
}

TEST(Run, AgainAndAgainWithAbandonedGoroutines) {
  for (int i = 0; i < 200; ++i) {
    int r = gort::run(
        [i] {
          auto gate = std::make_shared<gort::WaitGroup>();
          gate->add(1);
          for (int k = 0; k < 4; ++k) gort::go([gate] { gate->wait(); });  // never released
          gort::go([] {
            for (;;) gort::yield();
          });
          return i;
        },
        gort::Options{.max_procs = 1 + i % 3});
    ASSERT_EQ(r, i);
  }
}

// ------------------------------------------------------------- goroutines

TEST_P(Proc, IdsAreUniqueAndMainIsOne) {
  run([] {
    EXPECT_EQ(gort::goroutine_id(), 1u);
    constexpr int kN = 200;
    std::mutex mu;
    std::set<std::uint64_t> ids;
    gort::WaitGroup wg;
    for (int i = 0; i < kN; ++i) {
      wg.go([&] {
        std::lock_guard<std::mutex> lk(mu);
        ids.insert(gort::goroutine_id());
      });
    }
    wg.wait();
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kN));
    EXPECT_FALSE(ids.count(0));
    EXPECT_FALSE(ids.count(1));
  });
}

TEST_P(Proc, NumGoroutineCountsTheLiving) {
  run([] {
    EXPECT_EQ(gort::num_goroutine(), 1);
    gort::WaitGroup started, gate, finished;
    gate.add(1);
    for (int i = 0; i < 50; ++i) {
      started.add(1);
      finished.go([&] {
        started.done();
        gate.wait();
      });
    }
    started.wait();
    EXPECT_EQ(gort::num_goroutine(), 51);
    gate.done();
    finished.wait();
    // The last ones may still be on their way out of the runtime.
    for (int i = 0; i < 1000 && gort::num_goroutine() != 1; ++i) gort::yield();
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (gort::num_goroutine() != 1 && std::chrono::steady_clock::now() < deadline)
      gort::blocking([] { std::this_thread::sleep_for(1ms); });
    EXPECT_EQ(gort::num_goroutine(), 1);
  });
}

TEST_P(Proc, ArgumentsAreCopiedAtTheGoStatement) {
  run([] {
    gort::WaitGroup wg;
    std::mutex mu;
    std::vector<std::string> seen;
    std::string loop_var;
    for (const char* s : {"a", "b", "c"}) {
      loop_var = s;
      wg.add(1);
      gort::go(
          [&](std::string v) {
            std::lock_guard<std::mutex> lk(mu);
            seen.push_back(v);
            wg.done();
          },
          loop_var);
      loop_var = "overwritten";
    }
    wg.wait();
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));

    // f itself is copied; move-only arguments are moved; std::ref passes a reference.
    struct Fn {
      int* out;
      int v;
      void operator()() const { *out = v; }
    };
    int out = 0;
    Fn fn{&out, 1};
    wg.add(1);
    gort::go([&wg](Fn f) { f(); wg.done(); }, fn);
    fn.v = 2;
    wg.wait();
    EXPECT_EQ(out, 1);
    auto p = std::make_unique<int>(42);
    int got = 0;
    wg.go([&got](std::unique_ptr<int> q) { got = *q; }, std::move(p));
    wg.wait();
    EXPECT_EQ(p, nullptr);
    EXPECT_EQ(got, 42);
    int target = 0;
    wg.go([](int& t) { t = 5; }, std::ref(target));
    wg.wait();
    EXPECT_EQ(target, 5);
    // A large frame goes to the heap; an over-aligned one keeps its alignment.
    struct alignas(64) Big {
      char bytes[512];
    };
    Big big{};
    big.bytes[511] = 7;
    bool aligned = false;
    char last = 0;
    wg.go([&](Big b) {
      aligned = reinterpret_cast<std::uintptr_t>(&b) % 64 == 0;
      last = b.bytes[511];
    }, big);
    wg.wait();
    EXPECT_TRUE(aligned);
    EXPECT_EQ(last, 7);
  });
}

TEST_P(Proc, DestructorsOfTheFrameRunOnTheGoroutine) {
  run([] {
    auto token = std::make_shared<int>(1);
    std::weak_ptr<int> watch = token;
    gort::WaitGroup wg;
    wg.go([t = std::move(token)] { (void)t; });
    wg.wait();  // returns once the function object is destroyed too
    EXPECT_TRUE(watch.expired());
  });
}

TEST(Yield, LetsOthersRunOnOneP) {
  gort::run(
      [] {
        std::atomic<bool> flag{false};
        gort::go([&] { flag = true; });
        long spins = 0;
        while (!flag.load() && spins < 1000000) {
          gort::yield();
          ++spins;
        }
        EXPECT_TRUE(flag.load());
        EXPECT_LT(spins, 10);

        // Two goroutines taking strict turns through yield alone.
        std::atomic<int> turn{0};
        gort::WaitGroup wg;
        for (int me = 0; me < 2; ++me) {
          wg.go([&, me] {
            for (int i = 0; i < 1000; ++i) {
              long guard = 0;
              while (turn.load() % 2 != me) {
                ASSERT_LT(++guard, 100) << "the other goroutine did not get to run";
                gort::yield();
              }
              turn.fetch_add(1);
            }
          });
        }
        wg.wait();
        EXPECT_EQ(turn.load(), 2000);
      },
      gort::Options{.max_procs = 1});
}

TEST(Yield, OutsideGoroutinesIsHarmless) { gort::yield(); }

TEST_P(Proc, GoexitUnwindsAndRecoverDoesNotStopIt) {
  run([] {
    std::atomic<int> deferred{0};
    std::atomic<bool> after{false}, recovered{false};
    gort::WaitGroup wg;
    wg.go([&] {
      gort::defer d{[&] { deferred.fetch_add(1); }};
      auto p = gort::recover([] { gort::goexit(); });
      recovered = p.has_value();
      after = true;
    });
    wg.wait();
    EXPECT_EQ(deferred.load(), 1);
    EXPECT_FALSE(after.load());
    EXPECT_FALSE(recovered.load());
  });
}

// Out of memory for a goroutine's frame: go() throws std::bad_alloc from a goroutine
// and from a foreign thread, leaves no goroutine behind (the run-end leak check), and
// run() still ends (a foreign spawn that failed must not keep teardown waiting).
TEST_P(Proc, GoThatCannotAllocateThrowsBadAlloc) {
#if GORT_ASAN || GORT_TSAN
  GTEST_SKIP() << "the sanitizers own operator new: no failure can be injected";
#else
  std::array<char, 256> big{};  // larger than the frame a G holds inline
  std::atomic<int> ran{0};
  run([&] {
    g_fail_aligned_new = true;
    EXPECT_THROW(gort::go([big, &ran] { ran += big[0] + 1; }), std::bad_alloc);
    std::thread foreign([&] { EXPECT_THROW(gort::go([big, &ran] { ran += big[0] + 1; }), std::bad_alloc); });
    foreign.join();
    g_fail_aligned_new = false;
    gort::WaitGroup wg;
    wg.go([big, &ran] { ran += big[0] + 1; });
    wg.wait();
    EXPECT_EQ(gort::num_goroutine(), 1);
  });
  EXPECT_EQ(ran, 1);
#endif
}

// --------------------------------------------------------- foreign threads

TEST_P(Proc, GoFromForeignThreadsRuns) {
  run([] {
    gort::WaitGroup wg;
    std::atomic<int> ran{0};
    std::atomic<int> nonzero_ids{0};
    constexpr int kThreads = 4, kEach = 250;
    wg.add(kThreads * kEach);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        EXPECT_EQ(gort::goroutine_id(), 0u);
        for (int i = 0; i < kEach; ++i)
          gort::go([&] {
            ran.fetch_add(1);
            if (gort::goroutine_id() > 1) nonzero_ids.fetch_add(1);
            wg.done();
          });
      });
    }
    wg.wait();
    gort::blocking([&] {
      for (auto& t : threads) t.join();
    });
    EXPECT_EQ(ran.load(), kThreads * kEach);
    EXPECT_EQ(nonzero_ids.load(), kThreads * kEach);
  });
}

// A foreign thread's goroutine lands in the global queue; a P busy with yielding
// goroutines still gets to it (the every-61st-tick check), even with one P.
TEST(Fairness, GlobalQueueIsNotStarvedByLocalWork) {
  gort::run(
      [] {
        std::atomic<bool> stop{false}, ran{false};
        for (int i = 0; i < 3; ++i)
          gort::go([&] {
            while (!stop.load()) gort::yield();
          });
        std::thread t([&] { gort::go([&] { ran = true; }); });
        gort::blocking([&] { t.join(); });
        long spins = 0;
        while (!ran.load() && spins++ < 1000000) gort::yield();
        EXPECT_TRUE(ran.load());
        stop = true;
      },
      gort::Options{.max_procs = 1});
}

// ----------------------------------------------------- work distribution

TEST(Scheduler, WorkSpreadsOverPs) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs 2 cores";
  gort::run(
      [] {
        std::mutex mu;
        std::set<std::thread::id> threads;
        gort::WaitGroup wg;
        for (int i = 0; i < 64; ++i) {
          wg.go([&] {
            auto until = std::chrono::steady_clock::now() + 5ms;  // CPU-bound, no yield
            while (std::chrono::steady_clock::now() < until) {
            }
            std::lock_guard<std::mutex> lk(mu);
            threads.insert(std::this_thread::get_id());
          });
        }
        wg.wait();
        EXPECT_GE(threads.size(), 2u);
        EXPECT_GT(gort::stats().steals, 0u);
      },
      gort::Options{.max_procs = 2});
}

// An idle runtime burns no CPU: main parked, every M asleep, sysmon asleep.
TEST_P(Proc, IdleRuntimeUsesNoCPU) {
  run([] {
    gort::WaitGroup wg;
    wg.add(1);
    std::thread waker([&] {
      std::this_thread::sleep_for(400ms);
      wg.done();
    });
    std::int64_t cpu0 = process_cpu_ns();
    auto t0 = std::chrono::steady_clock::now();
    wg.wait();
    auto wall = std::chrono::steady_clock::now() - t0;
    std::int64_t cpu = process_cpu_ns() - cpu0;
    gort::blocking([&] { waker.join(); });
    EXPECT_GE(wall, 350ms);
    EXPECT_LT(cpu, 40 * 1000000) << "an idle runtime spent " << cpu / 1000000 << " ms of CPU in 400 ms";
  });
}

// ------------------------------------------------------------- abandonment

std::atomic<int> g_live{0};
struct Tracked {
  Tracked() { g_live.fetch_add(1); }
  Tracked(const Tracked&) { g_live.fetch_add(1); }
  Tracked(Tracked&&) noexcept { g_live.fetch_add(1); }
  ~Tracked() { g_live.fetch_sub(1); }
};

void deep(int depth, gort::WaitGroup* started, gort::WaitGroup* never) {
  Tracked local;
  if (depth == 0) {
    started->done();
    never->wait();
    ADD_FAILURE() << "an abandoned goroutine resumed";
    return;
  }
  deep(depth - 1, started, never);
}

TEST_P(Proc, AbandonedGoroutinesAreUnwoundAndFreed) {
  for (int round = 0; round < 3; ++round) {
    g_live = 0;
    std::atomic<int> deferred{0};
    auto t0 = std::chrono::steady_clock::now();
    int rc = run([&] {
      auto never = std::make_shared<gort::WaitGroup>();
      never->add(1);
      auto started = std::make_shared<gort::WaitGroup>();
      started->add(3);
      gort::go([never, started, &deferred, t = Tracked{}] {
        Tracked on_stack;
        gort::defer d{[&] { deferred.fetch_add(1); }};
        started->done();
        never->wait();
      });
      gort::go([started, &deferred, t = Tracked{}] {  // runnable forever
        gort::defer d{[&] { deferred.fetch_add(1); }};
        started->done();
        for (;;) gort::yield();
      });
      gort::go(deep, 40, started.get(), never.get());
      started->wait();
      // Runnable when main returns: another P may start it first, as in Go; either way
      // its closure (a Tracked) is freed, which g_live checks.
      gort::go([t = Tracked{}] {});
      EXPECT_GT(g_live.load(), 40);
      return 5;
    });
    EXPECT_EQ(rc, 5);
    EXPECT_EQ(g_live.load(), 0);
    EXPECT_EQ(deferred.load(), 2);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  }
}

// A destructor that blocks while its goroutine is being abandoned gets a neutral
// result instead of a second exception.
TEST_P(Proc, BlockingInADestructorDuringAbandonment) {
  std::atomic<int> finished{0};
  run([&] {
    auto never = std::make_shared<gort::WaitGroup>();
    never->add(1);
    gort::go([never, &finished] {
      struct WaitsInDestructor {
        std::shared_ptr<gort::WaitGroup> wg;
        std::atomic<int>* done;
        ~WaitsInDestructor() {
          wg->wait();  // cancelled: returns
          done->fetch_add(1);
        }
      } w{never, &finished};
      never->wait();
    });
    gort::yield();
  });
  EXPECT_EQ(finished.load(), 1);
}

GORT_INSTANTIATE_PROCS(Proc);

// A goroutine woken while its P's ring is full spills to the global queue; there it
// must not wait behind every goroutine that has not had its first run yet (the wake
// lane, runq.hpp).  At one P the order is the scheduler's alone: 600 goroutines park on
// a channel, main spawns 4,000 more (most go to the global queue), then closes the
// channel.  Before the wake lane every woken goroutine that spilled ran after all
// 4,000 first runs.
TEST(Proc, WokenGoroutinesDoNotWaitBehindFirstRuns) {
  if (std::getenv("GORT_SCHEDULE_SEED") != nullptr) GTEST_SKIP() << "the order is the seed's";
  constexpr int kWoken = 600;
  constexpr int kFresh = 4000;
  std::vector<char> log;  // one P: no two goroutines append at once
  gort::run(
      [&] {
        auto gate = gort::make_chan<int>();
        gort::WaitGroup parked, all;
        parked.add(kWoken);
        for (int i = 0; i < kWoken; ++i)
          all.go([&] {
            parked.done();
            (void)gate.recv();
            log.push_back('w');
          });
        parked.wait();
        for (int i = 0; i < kFresh; ++i) all.go([&] { log.push_back('f'); });
        gate.close();
        all.wait();
      },
      gort::Options{.max_procs = 1});
  ASSERT_EQ(log.size(), static_cast<std::size_t>(kWoken + kFresh));
  const auto last_woken = std::find(log.rbegin(), log.rend(), 'w').base();
  const auto fresh_before = std::count(log.begin(), last_woken, 'f');
  EXPECT_LT(fresh_before, kFresh / 2) << "first runs that ran before the last woken goroutine";
}

}  // namespace
