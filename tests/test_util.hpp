// test_util.hpp -- helpers shared by the unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gort/gort.hpp>

namespace gort_test {

// True in sanitizer and emulator runs (GORT_TEST_SCALE=small): stress sizes shrink.
inline bool small_scale() {
  const char* s = std::getenv("GORT_TEST_SCALE");
  return s != nullptr && std::strcmp(s, "small") == 0;
}

// `full` in the release build, `small` under sanitizers / qemu.
inline long scaled(long full, long small) { return small_scale() ? small : full; }

// Every scheduler test runs over these P counts (STYLE.md: several max_procs values).
inline std::vector<int> procs_to_test() { return {1, 2, 4}; }

// Fixture parameterised by max_procs: TEST_P(ProcsTest, Name) { run([&]{...}); }
class ProcsTest : public ::testing::TestWithParam<int> {
 protected:
  template <class F>
  int run(F&& f) {
    return gort::run(std::forward<F>(f), gort::Options{.max_procs = GetParam()});
  }
};

#define GORT_INSTANTIATE_PROCS(Fixture)                                                     \
  INSTANTIATE_TEST_SUITE_P(Procs, Fixture, ::testing::ValuesIn(::gort_test::procs_to_test()), \
                           [](const ::testing::TestParamInfo<int>& i) { return "P" + std::to_string(i.param); })

// Every gort::run in a test is a leak test (test_util.cpp installs the runtime's
// run-end hook): when it returns, no goroutine may be alive, every stack must be back
// in its pool, and -- in the debug-checks build (asan and tsan presets) -- no more
// channels, timers, queued sudogs or context nodes may be alive than before the run.
// A failure names the test and what was left.
//
// A test that leaves something alive on purpose says so, for the runs in its scope:
//   gort_test::AllowLeftovers allow({.channels = 1});  // why: the channel is declared outside
struct Leftovers {
  long goroutines = 0;
  long stacks = 0;
  long channels = 0;
  long timers = 0;
  long sudogs = 0;
  long context_nodes = 0;
};
class AllowLeftovers {
 public:
  explicit AllowLeftovers(Leftovers allowed);
  ~AllowLeftovers();
  AllowLeftovers(const AllowLeftovers&) = delete;
  AllowLeftovers& operator=(const AllowLeftovers&) = delete;

 private:
  Leftovers allowed_;
  const Leftovers* outer_;
};

// Result of running a program as a subprocess.
struct Exit {
  int status = -1;   // exit status, or 128 + signal
  std::string err;   // everything it wrote to stderr
  std::string out;   // and to stdout
};

// Runs `path` with `args` (and extra environment entries "K=V"), waits at most
// timeout_s seconds (then kills it: status 137).
Exit run_process(const std::string& path, const std::vector<std::string>& args = {},
                 const std::vector<std::string>& env = {}, int timeout_s = 60);

// Resident set size of this process, in bytes (/proc/self/statm).
long rss_bytes();

// Goroutines now parked in `state` (dump_goroutines' "[state]" headers).
int parked_in(const std::string& state);

// Sleeps (gort::sleep) until at least n goroutines are parked in `state`; false after
// 10 s.  Call from a goroutine.
bool await_parked(const std::string& state, int n);

}  // namespace gort_test
