// os_linux.cpp -- the os.hpp contract on Linux.
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "os.hpp"

namespace gort::detail {
namespace {

// Mappings left below vm.max_map_count that still count as "at the limit": a
// reservation fails when a single one more does not fit, and the libraries map a few
// between our look and the failure.
constexpr long kMapCountSlack = 64;

// The first number in a /proc file, or -1.  read(2), not stdio: no allocation.
long long read_proc_number(const char* path, const char* key) {
  char buf[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* p = buf;
  if (key != nullptr) {
    p = std::strstr(buf, key);
    if (p == nullptr) return -1;
    p += std::strlen(key);
  }
  long long v = -1;
  return std::sscanf(p, "%lld", &v) == 1 ? v : -1;
}

long count_lines(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long lines = 0;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
  close(fd);
  return lines;
}

}  // namespace

std::int64_t nanotime() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void os_usleep(std::uint32_t us) {
  timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
  nanosleep(&ts, nullptr);
}

std::int64_t nanotime_coarse() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void futex_wait(std::atomic<std::uint32_t>* addr, std::uint32_t expected, std::int64_t timeout_ns) {
  timespec ts;
  timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1000000000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1000000000);
    tsp = &ts;
  }
  // Private futex: the word is never shared with another process.
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAIT_PRIVATE, expected, tsp, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>* addr, int count) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

long os_thread_id() { return static_cast<long>(syscall(SYS_gettid)); }

int os_thread_count() {
  // Opened once and reread from offset 0 (procfs regenerates the text at each read):
  // at the fd limit an open() here would fail, and checkdead, finding the count
  // unknown, would let a deadlocked program hang.  Kept for the process's life.
  static const int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[8192];
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* p = std::strstr(buf, "\nThreads:");
  int threads = -1;
  return p != nullptr && std::sscanf(p + 9, "%d", &threads) == 1 ? threads : -1;
}

void write_stderr(const char* s, std::size_t n) {
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_stderr(const char* s) { write_stderr(s, std::strlen(s)); }

void write_stderr_u64(std::uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  write_stderr(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

std::size_t os_thread_stack_size() {
  pthread_attr_t attr;
  std::size_t size = 0;
  if (pthread_getattr_default_np(&attr) != 0) return 0;
  pthread_attr_getstacksize(&attr, &size);
  pthread_attr_destroy(&attr);
  return size;
}

long os_max_map_count() {
  constexpr long kLinuxDefault = 65530;  // DEFAULT_MAX_MAP_COUNT
  const long long v = read_proc_number("/proc/sys/vm/max_map_count", nullptr);
  return v < 0 ? kLinuxDefault : static_cast<long>(v);
}

void os_memory_limit_hints(std::size_t request, char* buf, std::size_t n) {
  if (n == 0) return;
  buf[0] = '\0';
  std::size_t used = 0;  // buf[used] is the terminating NUL; snprintf truncates at n
  auto advance = [&](int written) {
    if (written > 0) used = std::min(n - 1, used + static_cast<std::size_t>(written));
  };
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const long long vm_kib = read_proc_number("/proc/self/status", "VmSize:");
    const unsigned long long vm = vm_kib < 0 ? 0 : static_cast<unsigned long long>(vm_kib) * 1024;
    if (vm_kib < 0 || vm + request > as.rlim_cur)
      advance(std::snprintf(buf + used, n - used,
                            "runtime: address space is limited to %llu bytes (ulimit -v, RLIMIT_AS); %llu are mapped\n",
                            static_cast<unsigned long long>(as.rlim_cur), vm));
  }
  const long long max_maps = read_proc_number("/proc/sys/vm/max_map_count", nullptr);
  const long maps = count_lines("/proc/self/maps");
  if (max_maps > 0 && maps >= 0 && maps + kMapCountSlack >= max_maps)
    advance(std::snprintf(
        buf + used, n - used,
        "runtime: %ld memory mappings, the limit is vm.max_map_count=%lld (sysctl -w vm.max_map_count=N raises it)\n",
        maps, max_maps));
  if (read_proc_number("/proc/sys/vm/overcommit_memory", nullptr) == 2)
    advance(std::snprintf(buf + used, n - used,
                          "runtime: vm.overcommit_memory=2 (strict) counts every reserved byte against the commit limit\n"));
}

}  // namespace gort::detail
