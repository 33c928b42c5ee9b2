// stack_test.cpp -- stack reservation, guards, pooling (stack.cpp).
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "crash/limits.hpp"
#include "gobuf.hpp"
#include "stack.hpp"
#include "test_util.hpp"

namespace {

using gort::detail::Stack;
using gort::detail::stack_alloc;
using gort::detail::stack_free;
using gort::detail::stack_size_for;

int count_mappings() {
  int n = 0;
  if (FILE* f = std::fopen("/proc/self/maps", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, f) != nullptr) ++n;
    std::fclose(f);
  }
  return n;
}

TEST(Stack, SizesRoundToPagesAndClamp) {
  EXPECT_EQ(stack_size_for(0) % 4096, 0u);
  EXPECT_EQ(stack_size_for(100000), 102400u);
  EXPECT_EQ(stack_size_for(1), gort::detail::kMinStackSize);
  EXPECT_EQ(stack_size_for(std::size_t{1} << 40), gort::detail::kMaxStackSize);
}

TEST(Stack, DefaultComesFromTheEnvironment) {
  const char* old = std::getenv("GORT_STACK_SIZE");
  std::string saved = old != nullptr ? old : "";
  setenv("GORT_STACK_SIZE", "512k", 1);
  EXPECT_EQ(stack_size_for(0), 512u * 1024);
  setenv("GORT_STACK_SIZE", "1M", 1);
  EXPECT_EQ(stack_size_for(0), 1024u * 1024);
  setenv("GORT_STACK_SIZE", "lots", 1);
  EXPECT_THROW(stack_size_for(0), std::invalid_argument);
  if (old != nullptr) setenv("GORT_STACK_SIZE", saved.c_str(), 1); else unsetenv("GORT_STACK_SIZE");
  EXPECT_EQ(stack_size_for(0), old != nullptr ? stack_size_for(0) : gort::detail::kDefaultStackSize);
}

TEST(Stack, UsableAndDistinct) {
  std::size_t size = stack_size_for(0);
  std::vector<Stack> stacks;
  for (int i = 0; i < 64; ++i) {
    Stack s = stack_alloc(size);
    ASSERT_TRUE(s);
    ASSERT_EQ(s.size(), size);
    s.hi[-1] = 1;  // the top and bottom pages are writable
    s.lo[64] = 1;
    stacks.push_back(s);
  }
  std::set<char*> los;
  for (auto& s : stacks) los.insert(s.lo);
  EXPECT_EQ(los.size(), stacks.size());
  for (auto& s : stacks) stack_free(s);
}

TEST(Stack, PoolReusesMostRecentlyFreedFirst) {
  std::size_t size = stack_size_for(0);
  Stack a = stack_alloc(size);
  Stack b = stack_alloc(size);
  stack_free(a);
  stack_free(b);
  Stack c = stack_alloc(size);
  Stack d = stack_alloc(size);
  EXPECT_EQ(c.lo, b.lo);  // LIFO: the warmest first
  EXPECT_EQ(d.lo, a.lo);
  stack_free(c);
  stack_free(d);
  auto before = gort::detail::stack_stats().reserved;
  for (int i = 0; i < 1000; ++i) stack_free(stack_alloc(size));
  EXPECT_EQ(gort::detail::stack_stats().reserved, before);  // nothing new was carved
}

TEST(Stack, PerPCacheRefillsAndDrains) {
  std::size_t size = stack_size_for(0);
  gort::detail::StackCache cache;
  std::vector<Stack> got;
  for (int i = 0; i < 3 * gort::detail::StackCache::kCapacity; ++i) got.push_back(cache.get(size));
  for (auto& s : got) cache.put(s);
  EXPECT_LE(cache.count(), gort::detail::StackCache::kCapacity);
  Stack last = got.back();
  EXPECT_EQ(cache.get(size).lo, last.lo);  // the cache is LIFO too
  cache.put(last);
  cache.drain();
  EXPECT_EQ(cache.count(), 0);
}

TEST(Stack, GuardBelowEveryStack) {
  // Touching just below a stack must be caught: run it in a child process.
  std::size_t size = stack_size_for(0);
  Stack s = stack_alloc(size);
  if (!s.guarded) GTEST_SKIP() << "stack has no guard (canary mode)";
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);
    volatile char* p = s.lo - 1;
    *p = 1;
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
  stack_free(s);
}

// The guard detection the SIGSEGV handler relies on.
TEST(Stack, GuardHitLookup) {
  std::size_t size = stack_size_for(0);
  Stack s = stack_alloc(size);
  std::size_t usable = 0;
  EXPECT_TRUE(gort::detail::stack_guard_hit(s.lo - 1, &usable));
  EXPECT_EQ(usable, size);
  EXPECT_FALSE(gort::detail::stack_guard_hit(s.lo, &usable));
  EXPECT_FALSE(gort::detail::stack_guard_hit(s.hi - 1, &usable));
  int local = 0;
  EXPECT_FALSE(gort::detail::stack_guard_hit(&local, &usable));
  stack_free(s);
}

// 1,000,000 stacks at once, every one guarded, on default sysctls
// (vm.max_map_count = 65530): guards must not cost kernel mappings.
TEST(Stack, AMillionGuardedStacksAtOnce) {
  const long n = gort_test::scaled(1000000, 20000);
  std::size_t size = stack_size_for(0);
  int maps_before = count_mappings();
  std::vector<Stack> stacks;
  stacks.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) stacks.push_back(stack_alloc(size));
  std::size_t guarded = 0;
  for (auto& s : stacks) guarded += s.guarded ? 1 : 0;
  int maps_after = count_mappings();
  std::printf("%ld stacks, %zu guarded (%s), mappings %d -> %d\n", n, guarded,
              gort::detail::guard_mode_name(gort::detail::stack_guard_mode()), maps_before, maps_after);
  if (gort::detail::stack_guard_mode() == gort::detail::GuardMode::kMadvise) {
    EXPECT_EQ(guarded, static_cast<std::size_t>(n));
    EXPECT_LT(maps_after - maps_before, 1000);  // one mapping per reservation of thousands
  }
  // Touch the top of each, as a goroutine's first frame would.
  for (auto& s : stacks) s.hi[-8] = 1;
  for (auto& s : stacks) stack_free(s);
  gort::detail::stack_pool_trim();
}

// The fallbacks are exercised in child processes with GORT_STACK_GUARD forcing them.
TEST(Stack, FallbackModesAnnounceThemselves) {
  auto self = std::string("/proc/self/exe");
  auto r = gort_test::run_process(self, {"--gtest_filter=Stack.ChildCanaryMode"}, {"GORT_STACK_GUARD=canary", "GORT_STACK_CHILD=1"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  r = gort_test::run_process(self, {"--gtest_filter=Stack.ChildMprotectMode"}, {"GORT_STACK_GUARD=mprotect", "GORT_STACK_CHILD=1"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // Past the mapping budget: said once, with the way to full protection.
  EXPECT_NE(r.err.find("gort: no more stack guard pages fit under vm.max_map_count; further stacks are protected by "
                       "a canary checked at each switch."),
            std::string::npos)
      << r.err;
}

TEST(Stack, ChildCanaryMode) {
  if (std::getenv("GORT_STACK_CHILD") == nullptr) GTEST_SKIP() << "runs as a child of FallbackModesAnnounceThemselves";
  EXPECT_EQ(gort::detail::stack_guard_mode(), gort::detail::GuardMode::kCanary);
  Stack s = stack_alloc(stack_size_for(0));
  EXPECT_FALSE(s.guarded);
  ASSERT_NE(s.canary(), nullptr);
  EXPECT_EQ(*s.canary(), gort::detail::kStackCanary);
  stack_free(s);
}

TEST(Stack, ChildMprotectMode) {
  if (std::getenv("GORT_STACK_CHILD") == nullptr) GTEST_SKIP() << "runs as a child of FallbackModesAnnounceThemselves";
  EXPECT_EQ(gort::detail::stack_guard_mode(), gort::detail::GuardMode::kMprotect);
  // The budget is derived from vm.max_map_count; past it, canaries and one warning.
  std::vector<Stack> stacks;
  const long n = gort_test::scaled(40000, 40000);
  for (long i = 0; i < n; ++i) stacks.push_back(stack_alloc(stack_size_for(0)));
  auto st = gort::detail::stack_stats();
  std::printf("guarded %zu canaries %zu\n", st.guarded, st.canaries);
  EXPECT_GT(st.guarded, 1000u);
  EXPECT_EQ(st.guarded + st.canaries, st.reserved);
  EXPECT_LT(count_mappings(), 65530);
  for (auto& s : stacks) stack_free(s);
}

// RLIMIT_AS at what is mapped now plus `room`, for the scope; the old limit after.
class AddressSpaceLimit {
 public:
  explicit AddressSpaceLimit(unsigned long long room) {
    getrlimit(RLIMIT_AS, &old_);
    const rlimit lim{crash_limits::mapped_bytes() + room, old_.rlim_max};
    ok_ = setrlimit(RLIMIT_AS, &lim) == 0;
  }
  ~AddressSpaceLimit() { setrlimit(RLIMIT_AS, &old_); }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  bool ok_ = false;
};

// A Coroutine is an object the caller asked for: no stack for it is an exception, as
// std::thread's failure to start is, not the fatal error a goroutine's stack is.
TEST(Stack, CoroutineWhoseStackDoesNotFitThrows) {
#if GORT_ASAN || GORT_TSAN
  GTEST_SKIP() << "the sanitizer's shadow memory does not fit under any RLIMIT_AS";
#endif
  constexpr std::size_t kHuge = gort::detail::kMaxStackSize;  // 1 GiB: more than the room left
  {
    AddressSpaceLimit limit(256ull << 20);
    ASSERT_TRUE(limit.ok());
    try {
      gort::Coroutine co([](gort::Coroutine::Yield&) {}, kHuge);
      ADD_FAILURE() << "a 1 GiB stack fitted in 256 MiB";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ENOMEM);
      EXPECT_NE(std::string(e.what()).find("gort::Coroutine: cannot reserve a 1073741824-byte stack"), std::string::npos)
          << e.what();
    }
    // Smaller stacks still fit, in what is left.
    gort::Coroutine small([](gort::Coroutine::Yield&) {}, 64 * 1024);
    EXPECT_FALSE(small.resume());
  }
  // The limit lifted, the same size is reserved (the failure left no state behind).
  gort::Coroutine co([](gort::Coroutine::Yield&) {}, kHuge);
  EXPECT_FALSE(co.resume());
}

}  // namespace
