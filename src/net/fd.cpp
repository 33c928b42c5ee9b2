// fd.cpp -- NetFD: one socket owned by gort::net, registered with the poller for its
// whole life (Go's netFD and internal/poll.FD, fd_unix.go).
//
// Every operation follows Go's shape: take the fdMutex (the read lock for read and
// accept, the write lock for write and connect, a plain reference for deadlines and
// options), check the poll descriptor (closing, deadline passed: Go's prepare), then
// loop on the non-blocking system call, waiting in the poller on EAGAIN.  The poller
// wakes waits on close (poll_evict) and on deadlines, so a blocked call returns with
// errc::closed or errc::timeout.
//
// Lifetime.  close() sets the closed bit (no new call starts), evicts the poll
// descriptor (blocked calls return), drops its reference, and then waits on csema_
// until destroy() ran: destroy() -- ::close(fd) and poll_release -- is done by
// whoever drops the last reference, the closer or the last call in flight.  So:
//   - a call never uses an fd number after it was closed (and maybe reused);
//   - poll_release never runs while a wait is in progress (its contract);
//   - when close() returns nothing touches the NetFD any more, and its owner (Conn,
//     Listener) may free it.
// The exception a failing call throws is built before its reference is dropped: the
// message needs the NetFD's addresses.
//
// Writes use send(MSG_NOSIGNAL), for unix sockets too: a peer that went away is EPIPE
// for that call, never a SIGPIPE for the process.
//
// Rejected: closing the fd in close() directly, as a naive wrapper would (a reader
// blocked in the poller, or about to call read(2), would then act on whatever next
// got that fd number: the classic fd-reuse race Go's fdMutex exists to prevent);
// shared_ptr ownership per call (an allocation-free CAS does the same job).
#include "fd.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>

#include <gort/select.hpp>
#include <gort/go.hpp>

#include "../fatal.hpp"
#include "../sema.hpp"

namespace gort::net::detail {

using gort::detail::PollResult;
using gort::detail::kPollRead;
using gort::detail::kPollWrite;

std::int64_t deadline_ns(Clock::time_point t) {
  if (t == Clock::time_point{}) return 0;
  std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return ns > 0 ? ns : 1;  // a deadline at or before the clock's epoch has passed
}

std::unique_ptr<NetFD> NetFD::open(int sysfd, int family, std::string net, const char* op) {
  gort::detail::PollDesc* pd = gort::detail::poll_open(sysfd);
  if (pd == nullptr) {
    const int err = errno;
    ::close(sysfd);
    throw std::system_error(err, std::system_category(), std::string(op) + " " + net);
  }
  return std::unique_ptr<NetFD>(new NetFD(sysfd, family, std::move(net), pd));
}

NetFD::NetFD(int fd, int fam, std::string n, gort::detail::PollDesc* p)
    : sysfd(fd), family(fam), net(std::move(n)), pd(p) {}

NetFD::~NetFD() {
  // Conn and Listener close before they free; anything else is a bug in gort::net.
  if (mu_.incref_and_close()) gort::detail::fatal("gort::net: socket freed while open");
}

void NetFD::destroy() noexcept {
  gort::detail::poll_release(pd);
  ::close(sysfd);
  gort::detail::semrelease(&csema_, false);  // the closer may free *this from here on
}

bool NetFD::close() noexcept {
  if (!mu_.incref_and_close()) return false;
  gort::detail::poll_evict(pd);
  decref();
  gort::detail::semacquire(&csema_, false, gort::detail::WaitReason::kSemacquire);
  return true;
}

// ------------------------------------------------------------------ errors, waits

void NetFD::fail(const char* op, std::error_code ec, const char* syscall) const {
  std::string what = std::string(op) + " " + net;
  if (!laddr.empty() && !raddr.empty())
    what += " " + laddr + "->" + raddr;
  else if (!raddr.empty() || !laddr.empty())
    what += " " + (raddr.empty() ? laddr : raddr);
  if (syscall != nullptr) what += std::string(": ") + syscall;
  throw std::system_error(ec, what);
}

NetFD::OpLock::OpLock(NetFD& fd, bool read, const char* op) : fd_(fd), read_(read) {
  FdMutex::Lock lock;
  try {
    lock = fd.mu_.rwlock(read);
  } catch (...) {  // run()'s teardown unwinds a goroutine waiting for the lock
    fd.decref();
    throw;
  }
  switch (lock) {
    case FdMutex::Lock::kLocked:
      return;
    case FdMutex::Lock::kClosed:
      fd.fail(op, errc::closed);
    case FdMutex::Lock::kClosedLast:
      try {
        fd.fail(op, errc::closed);
      } catch (...) {
        fd.destroy();
        throw;
      }
  }
}

NetFD::OpLock::~OpLock() {
  if (fd_.mu_.rwunlock(read_)) fd_.destroy();
}

void NetFD::prepare(int mode, const char* op) {
  switch (gort::detail::poll_check(pd, mode)) {
    case PollResult::kReady: return;
    case PollResult::kClosing: fail(op, errc::closed);
    case PollResult::kTimeout: fail(op, errc::timeout);
  }
}

void NetFD::wait(int mode, const char* op) {
  switch (gort::detail::poll_wait(pd, mode)) {
    case PollResult::kReady: return;
    case PollResult::kClosing: fail(op, errc::closed);
    case PollResult::kTimeout: fail(op, errc::timeout);
  }
}

// ------------------------------------------------------------------------ I/O

std::size_t NetFD::read(std::span<std::byte> buf) {
  OpLock lock(*this, true, "read");
  if (buf.empty()) return 0;
  prepare(kPollRead, "read");
  for (;;) {
    const ssize_t n = ::read(sysfd, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) fail_errno("read", errno, "read");
    wait(kPollRead, "read");
  }
}

std::size_t NetFD::write(std::span<const std::byte> buf) {
  OpLock lock(*this, false, "write");
  if (buf.empty()) return 0;
  prepare(kPollWrite, "write");
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::send(sysfd, buf.data() + done, buf.size() - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) fail_errno("write", errno, "write");
    wait(kPollWrite, "write");
  }
  return done;
}

void NetFD::connect(const sockaddr* sa, socklen_t len, std::int64_t deadline, const Context& ctx) {
  OpLock lock(*this, false, "dial");
  if (std::error_code e = ctx.err()) fail("dial", e == gort::errc::deadline_exceeded ? errc::timeout : e);
  const int rc = ::connect(sysfd, sa, len);
  switch (const int err = rc == 0 ? 0 : errno) {
    case 0:
    case EISCONN:
      return;
    case EINPROGRESS:
    case EALREADY:
    case EINTR:
      break;
    default:
      fail_errno("dial", err, "connect");
  }
  if (deadline != 0) gort::detail::poll_set_deadline(pd, deadline, kPollWrite);

  // Go's connect: a goroutine watches ctx.done() and interrupts the wait by moving the
  // write deadline into the past; connect waits for it to finish before returning,
  // so nothing outlives the call.
  Chan<int> stop;
  Chan<std::error_code> interrupted;
  if (RecvChan<Done> done = ctx.done()) {
    stop = make_chan<int>();
    interrupted = make_chan<std::error_code>(1);
    gort::go([done, stop, interrupted, ctx, p = pd]() mutable {
      if (gort::select(on_recv(done), on_recv(stop)) == 0) {
        gort::detail::poll_set_deadline(p, 1, kPollWrite);  // long ago
        interrupted.send(ctx.err());
      } else {
        interrupted.send({});
      }
    });
  }
  std::error_code result;
  const char* syscall = nullptr;
  for (;;) {
    const PollResult r = gort::detail::poll_wait(pd, kPollWrite);
    if (r != PollResult::kReady) {
      result = r == PollResult::kClosing ? errc::closed : errc::timeout;
      break;
    }
    int nerr = 0;
    socklen_t nlen = sizeof nerr;
    if (::getsockopt(sysfd, SOL_SOCKET, SO_ERROR, &nerr, &nlen) != 0) nerr = errno;
    if (nerr == EINPROGRESS || nerr == EALREADY || nerr == EINTR) continue;
    if (nerr == EISCONN) break;
    if (nerr == 0) {
      // The poller may wake us spuriously (Go issues 14548, 19289): connected only if
      // the socket has a peer.
      sockaddr_storage peer{};
      socklen_t plen = sizeof peer;
      if (::getpeername(sysfd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) break;
      continue;
    }
    result = std::error_code(nerr, std::system_category());
    syscall = "connect";
    break;
  }
  if (stop) {
    stop.close();
    std::error_code ctx_err = interrupted.recv().value_or(std::error_code{});
    // The context ended the wait (or ended just as it finished): report the context's
    // error, as Go's mapErr does -- a deadline is Go's "i/o timeout".
    if (ctx_err) {
      result = ctx_err == gort::errc::deadline_exceeded ? std::error_code(errc::timeout) : ctx_err;
      syscall = nullptr;
    }
  }
  if (deadline != 0 || stop) gort::detail::poll_set_deadline(pd, 0, kPollWrite);
  if (result) fail("dial", result, syscall);
}

// ------------------------------------------------------------ deadlines, options

NetFD::Ref::Ref(NetFD& fd, const char* op) : fd_(fd) {
  if (!fd.mu_.incref()) fd.fail(op, errc::closed);
}

NetFD::Ref::~Ref() { fd_.decref(); }

void NetFD::set_deadline(Clock::time_point t, int mode) {
  Ref ref(*this, "set");
  gort::detail::poll_set_deadline(pd, deadline_ns(t), mode);
}

void NetFD::set_int_option(int level, int name, int value) {
  Ref ref(*this, "set");
  if (::setsockopt(sysfd, level, name, &value, sizeof value) != 0) fail_errno("set", errno, "setsockopt");
}

void NetFD::set_linger(int sec) {
  Ref ref(*this, "set");
  const linger l{sec >= 0 ? 1 : 0, sec >= 0 ? sec : 0};
  if (::setsockopt(sysfd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) fail_errno("set", errno, "setsockopt");
}

void NetFD::shutdown(int how) {
  Ref ref(*this, "close");
  if (::shutdown(sysfd, how) != 0) fail_errno("close", errno, "shutdown");
}

}  // namespace gort::net::detail
