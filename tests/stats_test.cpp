// stats_test.cpp -- stats(), dump_goroutines(), GORT_SCHEDTRACE.
#include <sstream>
#include <string>
#include <thread>

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

TEST(Dump, ListsGoroutinesWithStateAndCreationSite) {
  gort::run([] {
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
  });
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
