// fd_wait.cpp -- gort::net::wait_read / wait_write: the poller for descriptors that
// gort does not own.
//
// The caller's fd may be closed (and its number reused) at any time after the call,
// so no registration can outlive the call: each wait registers the fd, waits, and
// deregisters.  Two waits on one fd at once (a reader and a writer, or a library
// waiting twice) would collide in epoll, which keys registrations by fd number and
// open file: the second registers a dup() of the fd instead, a distinct key for the
// same file.  A registration made while the fd is already ready reports it at once
// (epoll checks readiness on ADD), so no readiness that came before the call is lost.
//
// Outside run() nobody polls: the thread waits in poll(2) instead.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <system_error>

#include <gort/net.hpp>

#include "../netpoll.hpp"
#include "fd.hpp"
#include "../proc.hpp"

namespace gort::net {
namespace {

using gort::detail::PollDesc;
using gort::detail::PollResult;

std::error_code wait_with_poll(int fd, short events, std::int64_t deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != 0) {
      std::int64_t left = deadline - gort::detail::nanotime();
      if (left <= 0) return std::make_error_code(std::errc::timed_out);
      timeout_ms = left >= std::int64_t{INT_MAX} * 1000000 ? INT_MAX : static_cast<int>((left + 999999) / 1000000);
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return {errno, std::system_category()};
  }
}

std::error_code wait_fd(int fd, int mode, Clock::time_point deadline) {
  const std::int64_t dl = detail::deadline_ns(deadline);
  if (!gort::detail::sched.running.load(std::memory_order_acquire))
    return wait_with_poll(fd, mode == gort::detail::kPollRead ? POLLIN : POLLOUT, dl);
  if (dl != 0 && dl <= gort::detail::nanotime()) return std::make_error_code(std::errc::timed_out);
  int key = fd;
  PollDesc* pd = gort::detail::poll_open(fd);
  if (pd == nullptr && errno == EEXIST) {
    key = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (key < 0) return {errno, std::system_category()};
    pd = gort::detail::poll_open(key);
  }
  if (pd == nullptr) {
    std::error_code err(errno, std::system_category());
    if (key != fd) ::close(key);
    // Not pollable (a regular file, a directory): always ready, as epoll would say.
    if (err.value() == EPERM) return {};
    return err;
  }
  if (dl != 0) gort::detail::poll_set_deadline(pd, dl, mode);
  PollResult r = gort::detail::poll_wait(pd, mode);
  gort::detail::poll_release(pd);
  if (key != fd) ::close(key);
  switch (r) {
    case PollResult::kReady:
      return {};
    case PollResult::kTimeout:
      return std::make_error_code(std::errc::timed_out);
    case PollResult::kClosing:
      break;
  }
  return std::make_error_code(std::errc::operation_canceled);  // run() is ending
}

}  // namespace

std::error_code wait_read(int fd, Clock::time_point deadline) { return wait_fd(fd, gort::detail::kPollRead, deadline); }
std::error_code wait_write(int fd, Clock::time_point deadline) { return wait_fd(fd, gort::detail::kPollWrite, deadline); }

}  // namespace gort::net
