// stats_test.cpp -- stats(), dump_goroutines(), GORT_SCHEDTRACE.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gobuf.hpp"
#include "runtime2.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;

TEST(Stats, OutsideRunOnlyStackFigures) {
  gort::Stats s = gort::stats();
  EXPECT_EQ(s.goroutines, 0);
  EXPECT_EQ(s.procs, 0);
  EXPECT_STRNE(s.stack_guard, "");
}

TEST(Stats, CountsWhatHappened) {
  gort::run(
      [] {
        gort::Stats before = gort::stats();
        EXPECT_EQ(before.procs, 2);
        EXPECT_EQ(before.goroutines, 1);
        EXPECT_GE(before.threads, 1);
        gort::WaitGroup wg;
        for (int i = 0; i < 100; ++i) wg.go([] { gort::yield(); });
        wg.wait();
        gort::blocking([] {});
        gort::Stats after = gort::stats();
        EXPECT_GE(after.spawned - before.spawned, 100u);
        EXPECT_GE(after.context_switches - before.context_switches, 100u);
        EXPECT_GE(after.blocking_calls - before.blocking_calls, 1u);
        EXPECT_GT(after.stacks_reserved, 0u);
        // From a goroutine too.
        gort::Stats inside;
        wg.go([&] { inside = gort::stats(); });
        wg.wait();
        EXPECT_EQ(inside.procs, 2);
      },
      gort::Options{.max_procs = 2});
}

// A goroutine holding the only P while main waits: one warning with the threshold at
// 30 ms (above a loaded machine's time slice, which may keep main's own thread off
// the CPU), none when Options::hog_warn or GORT_HOGWARN=0 turns it off.  The hog
// runs until the warning is counted (sysmon, slowed down on a loaded machine, may
// count it after a hog of fixed length has ended), or for `at_most`.
std::uint64_t hogs_after_a_hog(gort::Options opts, std::chrono::milliseconds at_most) {
  std::uint64_t hogs = ~0ull;
  opts.max_procs = 1;
  gort::run(
      [&] {
        gort::WaitGroup wg;
        wg.go([at_most] {
          auto end = std::chrono::steady_clock::now() + at_most;
          while (gort::stats().hogs == 0 && std::chrono::steady_clock::now() < end) {
          }
        });
        gort::yield();
        wg.wait();
        hogs = gort::stats().hogs;
      },
      opts);
  return hogs;
}

TEST(Stats, HogWarningsAreCountedAndCanBeTurnedOff) {
  EXPECT_EQ(hogs_after_a_hog(gort::Options{.hog_warn = 30}, 10s), 1u);
  EXPECT_EQ(hogs_after_a_hog(gort::Options{.hog_warn = -1}, 100ms), 0u);
  setenv("GORT_HOGWARN", "0", 1);
  EXPECT_EQ(hogs_after_a_hog(gort::Options{}, 100ms), 0u);
  unsetenv("GORT_HOGWARN");
}

// A goroutine running on another P is shown with its frames, asked of its thread.
__attribute__((noinline)) void spin_until(const std::atomic<bool>& stop, std::atomic<bool>& started) {
  started.store(true);
  while (!stop.load(std::memory_order_relaxed)) {
  }
}

TEST(Dump, RunningGoroutinesShowTheirFrames) {
  std::string dump;
  gort::run(
      [&] {
        std::atomic<bool> stop{false}, started{false};
        gort::WaitGroup wg;
        wg.go([&] { spin_until(stop, started); });
        while (!started.load()) gort::sleep(1ms);
        std::ostringstream out;
        gort::dump_goroutines(out);
        dump = out.str();
        stop.store(true);
        wg.wait();
      },
      gort::Options{.max_procs = 2, .hog_warn = -1});
  EXPECT_NE(dump.find("goroutine 2 [running]:\n"), std::string::npos) << dump;
#if GORT_TEST_SYMBOLIZED && !GORT_TSAN  // TSan builds have no sampling signal (signal_linux.cpp)
  auto at = dump.find("goroutine 2 [running]:\n");
  EXPECT_NE(dump.find("spin_until(", at), std::string::npos) << dump;
  EXPECT_LT(dump.find("spin_until(", at), dump.find("created by", at)) << dump;
#endif
}

// On one P the goroutine has parked in gate.wait() before main runs again (at 2 Ps
// it might still be on its way there when main dumps, on a loaded machine).
TEST(Dump, ListsGoroutinesWithStateAndCreationSite) {
  gort::run(
      [] {
        gort::WaitGroup gate, started;
        gate.add(1);
        started.add(1);
        gort::go([&] {
          started.done();
          gate.wait();
        });
        started.wait();
        for (int i = 0; i < 10; ++i) gort::yield();
        std::ostringstream os;
        gort::dump_goroutines(os);
        std::string dump = os.str();
        EXPECT_NE(dump.find("goroutine 1 [running]:"), std::string::npos) << dump;
        EXPECT_NE(dump.find("[sync.WaitGroup.Wait]"), std::string::npos) << dump;
        EXPECT_NE(dump.find("created by"), std::string::npos) << dump;
        EXPECT_NE(dump.find("stats_test.cpp:"), std::string::npos) << dump;
        gate.done();
      },
      gort::Options{.max_procs = 1});
}

// How long a goroutine has waited, as Go's goroutine header prints it: from one minute
// on.  No clock is read per park: the first dump that sees the wait stamps it
// (traceback.cpp); a test cannot wait minutes, so the stamp is moved back as far as
// the clock would have moved.
TEST(Dump, ShowsHowLongAGoroutineHasWaitedFromOneMinuteOn) {
  std::vector<std::string> dumps;
  gort::run(
      [&] {
        auto ch = gort::make_chan<int>();
        gort::WaitGroup wg;
        wg.go([ch]() mutable { (void)ch.recv(); });
        gort::yield();  // one P: goroutine 2 runs and parks
        auto age_wait = [](std::chrono::nanoseconds d) {
          gort::detail::LockGuard lk(gort::detail::sched.lock);  // the G chunk list's lock
          gort::detail::for_each_g(gort::detail::sched.gchunks, [&](gort::detail::G* gp) {
            if (gp->goid == 2 && gp->status.load() == gort::detail::GStatus::kWaiting) gp->waitsince.fetch_sub(d.count());
          });
        };
        for (std::chrono::nanoseconds d : {0s, 59s, 2s, 120s}) {  // waited: 0 s, 59 s, 61 s, 181 s
          age_wait(d);
          std::ostringstream os;
          gort::dump_goroutines(os);
          dumps.push_back(os.str());
        }
        ch.send(1);
        wg.wait();
      },
      gort::Options{.max_procs = 1});
  ASSERT_EQ(dumps.size(), 4u);
  EXPECT_NE(dumps[0].find("goroutine 2 [chan receive]:\n"), std::string::npos) << dumps[0];
  EXPECT_NE(dumps[1].find("goroutine 2 [chan receive]:\n"), std::string::npos) << dumps[1];
  EXPECT_NE(dumps[2].find("goroutine 2 [chan receive, 1 minute]:\n"), std::string::npos) << dumps[2];
  EXPECT_NE(dumps[3].find("goroutine 2 [chan receive, 3 minutes]:\n"), std::string::npos) << dumps[3];
  EXPECT_NE(dumps[3].find("goroutine 1 [running]:\n"), std::string::npos) << dumps[3];  // only waits are timed
}

TEST(Schedtrace, PrintsSchedulerLines) {
  if (std::getenv("GORT_SCHEDTRACE_CHILD") != nullptr) {
    gort::run([] { gort::blocking([] { std::this_thread::sleep_for(120ms); }); });
    return;
  }
  auto r = gort_test::run_process("/proc/self/exe", {"--gtest_filter=Schedtrace.PrintsSchedulerLines"},
                                  {"GORT_SCHEDTRACE=20", "GORT_SCHEDTRACE_CHILD=1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("SCHED "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gomaxprocs="), std::string::npos) << r.err;
}

}  // namespace

namespace {

// GORT_TRACE=<file>: Chrome trace-event JSON with a track per M, a slice per stretch
// a goroutine ran, why it stopped, and instant events for go/ready.
TEST(Trace, WritesChromeTraceEventJson) {
  if (std::getenv("GORT_TRACE_CHILD") != nullptr) {
    // One P: G2 cannot send before main parks in recv, which the trace must show,
    // whichever runs first after go() (under a schedule seed G2 may): G2 sleeps
    // first, and main reaches its recv without another scheduling point.
    gort::run(
        [] {
          auto ch = gort::make_chan<int>();
          gort::go([ch]() mutable {
            gort::sleep(std::chrono::milliseconds(1));
            ch.send(1);
          });
          (void)ch.recv();
          gort::blocking([] {});
        },
        gort::Options{.max_procs = 1});
    return;
  }
  std::string path = "/tmp/gort_trace_test_" + std::to_string(getpid()) + ".json";
  auto r = gort_test::run_process("/proc/self/exe", {"--gtest_filter=Trace.WritesChromeTraceEventJson"},
                                  {"GORT_TRACE=" + path, "GORT_TRACE_CHILD=1"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::FILE* f = std::fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string json;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) json.append(buf, n);
  std::fclose(f);
  std::remove(path.c_str());
  EXPECT_EQ(json.rfind("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 0), 0u);
  EXPECT_NE(json.find("\"thread_name\""), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"G1\""), std::string::npos);   // main's slices
  EXPECT_NE(json.find("\"stopped\":\"chan receive\""), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"go G2\""), std::string::npos);  // creation
  EXPECT_NE(json.find("\"name\":\"ready G1\""), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"blocking()\""), std::string::npos);
  EXPECT_EQ(json.substr(json.size() - 4), "\n]}\n");
}

}  // namespace
