// tls_migration_test.cpp -- goroutines resume on other threads; the runtime must
// never use a thread-local address computed before the switch (libgo#256,
// boostorg/context#331).  This executable compiles the whole runtime together with
// the test at -O2 with link-time optimisation (tests/CMakeLists.txt), the setting in
// which peers break, and checks after every switch that the runtime's idea of the
// current M is the thread that is really running.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "runtime2.hpp"
#include "test_util.hpp"

namespace {

long gettid_now() { return static_cast<long>(syscall(SYS_gettid)); }

class Migration : public gort_test::ProcsTest {};

TEST_P(Migration, CurrentMIsAlwaysTheRunningThread) {
  const int kGoroutines = 32;
  const long kRounds = gort_test::scaled(20000, 2000);
  std::atomic<long> migrations{0}, mismatches{0};
  run([&] {
    gort::WaitGroup wg;
    for (int g = 0; g < kGoroutines; ++g) {
      wg.go([&] {
        const std::uint64_t me = gort::goroutine_id();
        long last_tid = gettid_now();
        for (long i = 0; i < kRounds; ++i) {
          gort::yield();
          gort::detail::M* m = gort::detail::getm();
          long tid = gettid_now();
          if (m->tid != tid || m->curg == nullptr || m->curg->goid != me || gort::goroutine_id() != me)
            mismatches.fetch_add(1);
          if (tid != last_tid) migrations.fetch_add(1);
          last_tid = tid;
        }
      });
    }
    wg.wait();
  });
  EXPECT_EQ(mismatches.load(), 0);
  if (GetParam() > 1 && std::thread::hardware_concurrency() > 1) {
    EXPECT_GT(migrations.load(), 0) << "no goroutine ever moved";
  }
  std::printf("max_procs %d: %ld migrations observed\n", GetParam(), migrations.load());
}

GORT_INSTANTIATE_PROCS(Migration);

}  // namespace
