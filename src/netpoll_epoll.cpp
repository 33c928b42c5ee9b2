// netpoll_epoll.cpp -- the netpoll backend for Linux: epoll (Go's netpoll_epoll.go).
//
// One epoll instance for the process, created with the first descriptor and kept for
// the process's life (descriptors may outlive a run()).  Descriptors are registered
// once, edge-triggered (EPOLLET) for input, output and peer hang-up.  An eventfd,
// registered level-triggered, breaks a blocking wait; `g_break_pending` coalesces
// breaks so that a burst of timer arms costs one write.  Waits take a nanosecond
// timeout (epoll_pwait2, Linux 5.11) so that a timer sleeper wakes on time; on older
// kernels the timeout is rounded up to milliseconds.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "fatal.hpp"
#include "netpoll.hpp"

namespace gort::detail {
namespace {

constexpr int kMaxEvents = 128;  // Go's netpoll reads 128 events a call
constexpr std::uint64_t kBreakTag = ~std::uint64_t{0};

int g_epfd = -1;
int g_breakfd = -1;
std::atomic<bool> g_break_pending{false};
std::atomic<bool> g_have_pwait2{true};

int wait_events(epoll_event* events, std::int64_t delay_ns) {
  if (delay_ns > 0 && g_have_pwait2.load(std::memory_order_relaxed)) {
    timespec ts{static_cast<time_t>(delay_ns / 1000000000), static_cast<long>(delay_ns % 1000000000)};
    int n = epoll_pwait2(g_epfd, events, kMaxEvents, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    g_have_pwait2.store(false, std::memory_order_relaxed);
  }
  int ms;
  if (delay_ns < 0)
    ms = -1;
  else if (delay_ns == 0)
    ms = 0;
  else if (delay_ns >= std::int64_t{1000000} * 1000000)  // beyond ~11 days: wake and look again
    ms = 1000000000;
  else
    ms = static_cast<int>((delay_ns + 999999) / 1000000);
  return epoll_wait(g_epfd, events, kMaxEvents, ms);
}

}  // namespace

namespace {

// Go's netpollinit: "runtime: <call> failed with <errno>", then the throw.  Fatal, as
// in Go, although the first descriptor of a user's call is what brings us here: the
// poller is the runtime's, and no descriptor can be waited for without it.  The limit
// is usually the open-files one, hit before the first net call.
[[noreturn]] void fatal_netpollinit(const char* call, int err, const char* msg) {
  char why[512];
  int n = std::snprintf(why, sizeof why, "runtime: %s failed with %d (%s)\n", call, err, std::strerror(err));
  if (err == EMFILE || err == ENFILE) {
    rlimit nofile{};
    getrlimit(RLIMIT_NOFILE, &nofile);
    std::snprintf(why + n, sizeof why - static_cast<std::size_t>(n),
                  "runtime: may need to increase the open files limit (ulimit -n, RLIMIT_NOFILE: now %llu)\n",
                  static_cast<unsigned long long>(nofile.rlim_cur));
  }
  fatal_explained(why, msg);
}

}  // namespace

void netpoll_backend_init() {
  g_epfd = epoll_create1(EPOLL_CLOEXEC);
  if (g_epfd < 0) fatal_netpollinit("epollcreate", errno, "runtime: netpollinit failed");
  g_breakfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (g_breakfd < 0) fatal_netpollinit("eventfd", errno, "runtime: eventfd failed");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kBreakTag;
  if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, g_breakfd, &ev) != 0)
    fatal_netpollinit("epollctl", errno, "runtime: epollctl failed");
}

int netpoll_backend_open(int fd, std::uint64_t tag) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = tag;
  return epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

int netpoll_backend_close(int fd) {
  epoll_event ev{};
  return epoll_ctl(g_epfd, EPOLL_CTL_DEL, fd, &ev) == 0 ? 0 : errno;
}

void netpoll_backend_break() {
  if (g_break_pending.exchange(true, std::memory_order_acq_rel)) return;  // one is on its way
  const std::uint64_t one = 1;
  for (;;) {
    ssize_t n = write(g_breakfd, &one, sizeof one);
    if (n == sizeof one || (n < 0 && errno == EAGAIN)) return;  // EAGAIN: the counter is full, a wake is due
    if (n < 0 && errno == EINTR) continue;
    fatal("runtime: netpoll: write to the eventfd failed");
  }
}

void netpoll_backend_wait(std::int64_t delay_ns, NetpollReadyFn ready, void* arg) {
  epoll_event events[kMaxEvents];
  int n = wait_events(events, delay_ns);
  if (n < 0) {
    if (errno == EINTR) return;  // a signal: the caller looks at its queues again
    fatal("runtime: netpoll: epoll_wait failed");
  }
  for (int i = 0; i < n; ++i) {
    const epoll_event& ev = events[i];
    if (ev.data.u64 == kBreakTag) {
      // Only a blocking wait takes the break: it was meant for the M blocked here, and
      // a look without blocking (another M, sysmon) that drained it would leave that M
      // asleep (epoll wakes one waiter, which then finds nothing and sleeps on).
      if (delay_ns != 0) {
        std::uint64_t drained;
        while (read(g_breakfd, &drained, sizeof drained) < 0 && errno == EINTR) {
        }
        g_break_pending.store(false, std::memory_order_release);
      }
      continue;
    }
    int mode = 0;
    if ((ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) mode += 'r';
    if ((ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) mode += 'w';
    if (mode != 0) ready(ev.data.u64, mode, arg);
  }
}

}  // namespace gort::detail
