// sync_crash_test.cpp -- misuse of the sync locks that Go reports as fatal errors
// (exit status 2, "fatal error: ..." on stderr, no recover), run as subprocesses
// (tests/crash/unlock_unlocked.cpp).
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

void expect_fatal(const std::string& mode, const std::string& message) {
  auto r = gort_test::run_process(std::string(GORT_CRASH_DIR) + "/unlock_unlocked", {mode});
  EXPECT_EQ(r.status, 2) << mode << " stderr:\n" << r.err;
  EXPECT_NE(r.err.find("fatal error: " + message + "\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("recovered"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("returned"), std::string::npos) << r.out;
}

TEST(SyncCrash, UnlockOfUnlockedMutex) {
  expect_fatal("mutex", "sync: unlock of unlocked mutex");
}

TEST(SyncCrash, UnlockOfUnlockedMutexOnAPlainThread) {
  expect_fatal("thread", "sync: unlock of unlocked mutex");
}

TEST(SyncCrash, UnlockOfUnlockedRWMutex) {
  expect_fatal("rwmutex", "sync: Unlock of unlocked RWMutex");
}

TEST(SyncCrash, RUnlockOfUnlockedRWMutex) {
  expect_fatal("runlock", "sync: RUnlock of unlocked RWMutex");
}

}  // namespace
