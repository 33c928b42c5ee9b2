// crash_test.cpp -- programs that must die, run as subprocesses: exit status 2 and
// Go's messages on stderr (tests/crash/*.cpp).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
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

// The overflowing goroutine's frames: the deepest, Go's elision line, the entry; and
// where the stack size is set.
TEST(Crash, StackOverflowShowsTheRecursionAndTheSizeSettings) {
  SKIP_UNDER_SANITIZERS();
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/overflow_goroutine");
  EXPECT_EQ(r.status, 2) << r.err;
  for (const char* s : {"...additional frames elided...", "GORT_STACK_SIZE", "Options::stack_size"})
    EXPECT_NE(r.err.find(s), std::string::npos) << "missing \"" << s << "\" in:\n" << r.err;
#if GORT_TEST_SYMBOLIZED
  auto frames = r.err.find("goroutine 2 [running]:\nrecurse(int)\n\t");
  EXPECT_NE(frames, std::string::npos) << r.err;
  EXPECT_LT(frames, r.err.find("...additional frames elided...")) << r.err;
  EXPECT_NE(r.err.find("crash/overflow_goroutine.cpp:16\ncreated by"), std::string::npos) << r.err;  // the entry
#endif
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
#if !defined(__clang__)
  // The goroutine's lambda, inlined into gort's goroutine frame, where DWARF names it
  // only "operator()": named as "created by" names it (traceback.cpp).
  check({"panic_goroutine", {}, {"\nmain::<lambda()>::<lambda()>\n\t", "crash/panic_goroutine.cpp:15\ncreated by main::<lambda()>"}});
#endif
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

// Under a schedule seed, a report ends with the seed, so that the failing schedule can
// be replayed; Go's first lines are unchanged.
TEST(Crash, ReportsEndWithTheScheduleSeed) {
  check({"deadlock_chan_recv", {"GORT_SCHEDULE_SEED=7"},
         {"fatal error: all goroutines are asleep - deadlock!", "\nschedule seed: 7 (GORT_SCHEDULE_SEED replays it)\n"}});
  check({"panic_goroutine", {"GORT_SCHEDULE_SEED=18446744073709551615"},
         {"panic: boom", "\nschedule seed: 18446744073709551615 (GORT_SCHEDULE_SEED replays it)\n"}});
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/deadlock_chan_recv", {}, {"GORT_SCHEDULE_SEED=0"});
  EXPECT_EQ(r.err.find("schedule seed"), std::string::npos) << r.err;  // 0: off
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

// Resource exhaustion (tests/crash/limits.hpp lowers the limit inside the program):
// Go's "runtime: ..." lines with the numbers, then the constant fatal message.
// Sanitizers reserve terabytes of shadow address space up front: no RLIMIT_AS leaves
// them room to run, so those programs cannot run there.
#if GORT_ASAN || GORT_TSAN
#define SKIP_RLIMIT_AS_UNDER_SANITIZERS() GTEST_SKIP() << "the sanitizer's shadow memory does not fit under any RLIMIT_AS"
#else
#define SKIP_RLIMIT_AS_UNDER_SANITIZERS() (void)0
#endif

// UBSan (in the asan preset) checks a polymorphic object's type by reading
// /proc/self/maps the first time it meets it: with no descriptor left it reports the
// report's own ostringstream as an invalid object.
#if GORT_ASAN
#define SKIP_FD_LIMIT_UNDER_UBSAN() GTEST_SKIP() << "UBSan's vptr check needs a descriptor to read /proc/self/maps"
#else
#define SKIP_FD_LIMIT_UNDER_UBSAN() (void)0
#endif

TEST(Crash, GoroutineStackReservationRefused) {
  SKIP_RLIMIT_AS_UNDER_SANITIZERS();
  check({"oom_goroutine_stack",
         {},
         {"runtime: out of memory: cannot reserve a 327680-byte goroutine stack (errno=12: Cannot allocate memory; ",
          "\nruntime: address space is limited to ",
          " (ulimit -v, RLIMIT_AS); ",
          "\nruntime: each stack is GORT_STACK_SIZE or Options::stack_size bytes (now 262144) plus a 65536-byte guard; "
          "smaller stacks fit more goroutines\nfatal error: out of memory allocating a goroutine stack\n\n",
          "goroutine 2 [chan receive]:"}});
}

// The stack reservation was retried smaller before the report: the goroutines that
// fit are all there, not just the first reservations' worth (16 + 32 + 64).
TEST(Crash, GoroutineStackReservationFillsTheLimitFirst) {
  SKIP_RLIMIT_AS_UNDER_SANITIZERS();
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/oom_goroutine_stack");
  EXPECT_EQ(r.status, 2) << r.err;
  // 64 MiB of room, 320 KiB a stack: 204 at most; the heap and the rounding take some.
  EXPECT_NE(r.err.find("goroutine 150 [chan receive]:"), std::string::npos) << r.err.substr(0, 2000);
}

// The mapping count, not the address space, is what ran out: the report says so.
TEST(Crash, GoroutineStackReservationAtTheMapCountLimit) {
  SKIP_UNDER_SANITIZERS();  // their allocators need mappings of their own to report anything
  check({"oom_map_count",
         {},
         {"runtime: out of memory: cannot reserve a 327680-byte goroutine stack (errno=12: Cannot allocate memory; ",
          " memory mappings, the limit is vm.max_map_count=",
          " (sysctl -w vm.max_map_count=N raises it)\n",
          "\nfatal error: out of memory allocating a goroutine stack\n"}});
}

TEST(Crash, NewMThreadRefused) {
  SKIP_RLIMIT_AS_UNDER_SANITIZERS();
  check({"newosproc_rlimit_as",
         {},
         {"runtime: failed to create new OS thread (have ",
          " already; errno=11)\nruntime: may need to increase max user processes (ulimit -u)\n"
          "runtime: address space is limited to ",
          "\nfatal error: newosproc\n\n", "goroutine 1 [chan receive]:"}});
}

TEST(Crash, SysmonThreadRefused) {
  SKIP_RLIMIT_AS_UNDER_SANITIZERS();
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/newosproc_sysmon");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err.find("runtime: failed to create new OS thread (have 1 already; errno=11)\n"
                       "runtime: may need to increase max user processes (ulimit -u)\n"
                       "runtime: address space is limited to "),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("\nfatal error: newosproc\n"), std::string::npos) << r.err;
}

TEST(Crash, NetpollInitAtTheFdLimit) {
  SKIP_FD_LIMIT_UNDER_UBSAN();
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/netpollinit_emfile");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err.find("runtime: epollcreate failed with 24 (Too many open files)\n"
                       "runtime: may need to increase the open files limit (ulimit -n, RLIMIT_NOFILE: now "),
            0u)
      << r.err;
  EXPECT_NE(r.err.find(")\nfatal error: runtime: netpollinit failed\n\ngoroutine 1 [running]:"), std::string::npos) << r.err;
}

// The deadlock check counts the process's threads through a descriptor it opened at
// start-up: with none left to open it used to find the count unknown and let the
// program hang.
TEST(Crash, DeadlockAtTheFdLimit) {
  SKIP_FD_LIMIT_UNDER_UBSAN();
  check({"deadlock_at_fd_limit", {}, {"fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:"}});
}

TEST(Crash, CoroutineThatWillNotUnwind) {
  check({"coroutine_swallows_unwind", {}, {"fatal error:", "keeps yielding instead of unwinding"}});
}

// The hog detector (GORT_HOGWARN): programs that end normally, with a warning.  The
// threshold is set explicitly (the default is off in sanitizer builds), and well
// above a thread's time slice, so that main, whose thread a loaded machine may
// deschedule for a few milliseconds while the hog waits in the run queue, is not
// reported.  TSan builds have no sampling signal (signal_linux.cpp): the warning
// names no goroutine and shows no frames there.
constexpr const char* kHogWarnForTests = "GORT_HOGWARN=50";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A goroutine's frames in a report (unused where the tests cannot expect frames).
[[maybe_unused]] std::string frames_of(const std::string& err, const char* header) {
  auto from = err.find(header);
  if (from == std::string::npos) return "";
  auto to = err.find("created by", from);
  return err.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

TEST(Crash, HogWarningNamesTheGoroutineAndItsLoop) {
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/hog_loop", {}, {kHogWarnForTests});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("hogs=1\n"), std::string::npos) << r.out << r.err;
  for (const char* s : {"has run for", "ms without a scheduling point (P 0) while 1 goroutine waits to run",
                        "gort::yield()", "gort::blocking()", "GORT_HOGWARN"})
    EXPECT_NE(r.err.find(s), std::string::npos) << "missing \"" << s << "\" in:\n" << r.err;
#if GORT_TSAN
  EXPECT_EQ(count(r.err, "gort: a goroutine has run for"), 1u) << r.err;
#else
  EXPECT_EQ(count(r.err, "gort: goroutine 2 has run for"), 1u) << r.err;  // once per goroutine
  EXPECT_NE(r.err.find("goroutine 2 [running]:\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("created by"), std::string::npos) << r.err;
#if GORT_TEST_SYMBOLIZED
  EXPECT_NE(frames_of(r.err, "goroutine 2 [running]:").find("spin_without_yielding("), std::string::npos) << r.err;
#endif
#endif
}

TEST(Crash, HogWarningShowsABlockingReadOutsideBlocking) {
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/hog_pipe_read", {}, {kHogWarnForTests});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("read 1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("has run for"), std::string::npos) << r.err;
#if GORT_TEST_SYMBOLIZED && !GORT_TSAN
  EXPECT_NE(frames_of(r.err, "goroutine 2 [running]:").find("read"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("crash/hog_pipe_read.cpp:"), std::string::npos) << r.err;
#endif
}

TEST(Crash, HogWarningOffWithZero) {
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/hog_loop", {}, {"GORT_HOGWARN=0"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("has run for"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("hogs=0\n"), std::string::npos) << r.out;
}

// freezetheworld: no line of main's after the report begins.
TEST(Crash, PanicReportIsNotInterleavedWithOtherGoroutinesOutput) {
  // 50 runs, a few at a time: each spends most of its ~150 ms symbolizing the report.
  const int runs = static_cast<int>(gort_test::scaled(50, 10));
  constexpr int kParallel = 5;
  std::vector<std::thread> runners;
  for (int t = 0; t < kParallel; ++t) {
    runners.emplace_back([t, runs] {
      for (int i = t; i < runs; i += kParallel) {
        auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/panic_while_main_prints");
        std::string tail = r.err.substr(r.err.size() > 2000 ? r.err.size() - 2000 : 0);
        EXPECT_EQ(r.status, 2) << tail;
        auto report = r.err.find("panic: boom while main prints");
        EXPECT_NE(report, std::string::npos) << tail;
        if (report != std::string::npos) {
          EXPECT_EQ(r.err.find("main is printing", report), std::string::npos) << "run " << i << ":\n" << r.err.substr(report);
        }
      }
    });
  }
  for (auto& r : runners) r.join();
}

// The GORT_TRACE file is written, and is valid JSON, when the process ends with a
// report: a panic, a deadlock, SIGQUIT.
bool valid_json(const std::string& path, std::string* why) {
  if (access("/usr/bin/python3", X_OK) == 0) {
    auto r = gort_test::run_process("/usr/bin/python3", {"-c", "import json,sys; json.load(open(sys.argv[1]))", path});
    *why = r.err;
    return r.status == 0;
  }
  std::FILE* f = std::fopen(path.c_str(), "r");  // no python: the framing at least
  if (f == nullptr) return false;
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  *why = text.substr(0, 200);
  return text.rfind("{\"displayTimeUnit\"", 0) == 0 && text.size() >= 4 && text.compare(text.size() - 4, 4, "\n]}\n") == 0;
}

TEST(Crash, TraceFileIsWrittenWhenTheProcessEndsWithAReport) {
#if GORT_TSAN
  GTEST_SKIP() << "the trace buffers of Ms that are frozen mid-event are read without synchronisation";
#endif
  for (const char* program : {"panic_goroutine", "deadlock_chan_recv", "sigquit_dump"}) {
    std::string path = ::testing::TempDir() + "gort_trace_" + program + ".json";
    std::remove(path.c_str());
    auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/" + program, {}, {"GORT_SIGQUIT=1", "GORT_TRACE=" + path});
    EXPECT_EQ(r.status, 2) << program << ":\n" << r.err;
    std::string why;
    EXPECT_TRUE(valid_json(path, &why)) << program << ": " << why;
    std::remove(path.c_str());
  }
}

}  // namespace
