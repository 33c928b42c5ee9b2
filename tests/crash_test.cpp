// crash_test.cpp -- programs that must die, run as subprocesses: exit status 2 and
// Go's messages on stderr (tests/crash/*.cpp).
#include <string>
#include <vector>

#include "gobuf.hpp"
#include "test_util.hpp"

namespace {

struct Case {
  const char* program;
  std::vector<std::string> env;
  std::vector<std::string> stderr_has;
};

void check(const Case& c) {
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/" + c.program, {}, c.env);
  EXPECT_EQ(r.status, 2) << c.program << " stderr:\n" << r.err;
  for (const auto& s : c.stderr_has) EXPECT_NE(r.err.find(s), std::string::npos) << "missing \"" << s << "\" in:\n" << r.err;
}

// Sanitizer builds keep their own SEGV handler: its report stands in for Go's.
#if GORT_ASAN || GORT_TSAN
#define SKIP_UNDER_SANITIZERS() GTEST_SKIP() << "the sanitizer's SEGV report replaces gort's"
#else
#define SKIP_UNDER_SANITIZERS() (void)0
#endif

TEST(Crash, GoroutineStackOverflow) {
  SKIP_UNDER_SANITIZERS();
  check({"overflow_goroutine", {}, {"fatal error: stack overflow", "goroutine stack exceeds 262144-byte limit", "goroutine 2 [running]:", "created by"}});
}

TEST(Crash, CoroutineStackOverflow) {
  SKIP_UNDER_SANITIZERS();
  check({"overflow_coroutine", {}, {"fatal error: stack overflow", "coroutine"}});
}

TEST(Crash, CanaryCatchesOverflowWithoutGuardPages) {
  SKIP_UNDER_SANITIZERS();
  check({"overflow_canary", {"GORT_STACK_GUARD=canary"}, {"fatal error: stack overflow", "coroutine"}});
}

TEST(Crash, UnrecoveredPanicInAGoroutine) {
  check({"panic_goroutine", {}, {"panic: boom (std::runtime_error)\n\ngoroutine 2 [running]:", "created by", "crash/panic_goroutine.cpp:15"}});
}

// The report shows where the exception was thrown, symbolized (GCC's libbacktrace).
TEST(Crash, PanicReportShowsTheThrowPoint) {
#if !GORT_TEST_SYMBOLIZED
  GTEST_SKIP() << "built without GCC's libbacktrace";
#endif
  check({"panic_goroutine", {}, {"fail_deep(int)\n\t", "crash/panic_goroutine.cpp:8\n"}});
}

TEST(Crash, PanicInMainRunsDefersFirst) {
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/panic_main");
  EXPECT_EQ(r.status, 2) << r.err;
  auto deferred = r.err.find("deferred ran");
  auto report = r.err.find("panic: kaboom\n\ngoroutine 1 [running]:");
  EXPECT_NE(deferred, std::string::npos) << r.err;
  EXPECT_NE(report, std::string::npos) << r.err;
  EXPECT_LT(deferred, report);
  EXPECT_EQ(r.out.find("run returned"), std::string::npos);
}

TEST(Crash, AllGoroutinesAsleep) {
  check({"deadlock_waitgroup", {}, {"fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [sync.WaitGroup.Wait]:", "goroutine 2 [sync.WaitGroup.Wait]:"}});
}

TEST(Crash, DeadlockOnAChannelNobodyFeeds) {
  check({"deadlock_chan_recv", {}, {"fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [chan receive]:"}});
}

TEST(Crash, DeadlockInSelectsOverNilChannels) {
  check({"deadlock_select_nil", {}, {"fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [select]:",
                                      "[select (no cases)]:"}});
}

TEST(Crash, PendingTimerIsNoDeadlockButAfterItFiresThereIsOne) {
  check({"deadlock_after_timers", {}, {"timer fired", "fatal error: all goroutines are asleep - deadlock!"}});
}

// The same for I/O waits: the M that blocked in the poller does not hide a deadlock.
TEST(Crash, DeadlockAfterIOWaitsEnded) {
  check({"deadlock_after_io", {}, {"I/O done", "fatal error: all goroutines are asleep - deadlock!"}});
}

TEST(Crash, SigquitDumpsEveryGoroutineWhenAskedFor) {
  check({"sigquit_dump", {"GORT_SIGQUIT=1"}, {"SIGQUIT: quit", "goroutine 1 [syscall]:", "[chan receive]:", "created by"}});
}

TEST(Crash, MainGoexitThenNoGoroutines) {
  check({"main_goexit", {}, {"the other goroutine finished", "fatal error: no goroutines (main called runtime.Goexit) - deadlock!"}});
}

// Go's printpanics: oldest first, each later panic on its own line after a tab.
TEST(Crash, DeferPanickingWhileUnwindingPrintsTheChain) {
  auto run = [](const char* kind) {
    auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/defer_throws_while_unwinding", {kind});
    EXPECT_EQ(r.status, 2) << kind << " stderr:\n" << r.err;
    return r.err;
  };
  EXPECT_EQ(run("main").find("panic: hello\n\tpanic: panic pt2\n\ngoroutine 1 [running]:\n"), 0u) << run("main");
  std::string chain = run("chain");
  EXPECT_EQ(chain.find("panic: first\n\tpanic: second\n\tpanic: third (std::runtime_error)\n\ngoroutine 2 [running]:\n"), 0u)
      << chain;
  EXPECT_NE(chain.find("created by"), std::string::npos) << chain;
  std::string goexit = run("goexit");
  EXPECT_EQ(goexit.find("panic: during goexit\n\ngoroutine 2 [running]:\n"), 0u) << goexit;
  std::string inside = run("recovered-inside");
  EXPECT_EQ(inside.find("panic: outer\n\tpanic: after inner, recovered\n\ngoroutine 1 [running]:\n"), 0u) << inside;
}

// Checked by go() in the calling goroutine, so the report names the go statement.
TEST(Crash, GoOfNilFunc) {
  for (const char* kind : {"function-pointer", "std-function", "member-pointer", "waitgroup", "group"}) {
    auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/go_nil_func", {kind});
    EXPECT_EQ(r.status, 2) << kind << " stderr:\n" << r.err;
    EXPECT_EQ(r.err.find("fatal error: go of nil func value\n\ngoroutine 1 [running]:\n"), 0u) << kind << ":\n" << r.err;
    EXPECT_NE(r.err.find("crash/go_nil_func.cpp:"), std::string::npos) << kind << ":\n" << r.err;
    EXPECT_EQ(r.out.find("returned"), std::string::npos) << kind;
  }
}

TEST(Crash, CoroutineThatWillNotUnwind) {
  check({"coroutine_swallows_unwind", {}, {"fatal error:", "keeps yielding instead of unwinding"}});
}

}  // namespace
