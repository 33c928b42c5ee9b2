// fd.hpp -- NetFD, a socket owned by gort::net (Go's netFD over internal/poll.FD).
// Design: fd.cpp.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>

#include <gort/net.hpp>

#include "../netpoll.hpp"
#include "fd_mutex.hpp"

namespace gort::net::detail {

// A deadline as the poller takes it: nanotime(), 0 for none (Clock::time_point{}).
std::int64_t deadline_ns(Clock::time_point t);

struct NetFD {
  // Takes ownership of sysfd (non-blocking) and registers it with the poller; on
  // failure closes it and throws "<op> <net>: <errno>".
  static std::unique_ptr<NetFD> open(int sysfd, int family, std::string net, const char* op);
  NetFD(const NetFD&) = delete;
  NetFD& operator=(const NetFD&) = delete;
  ~NetFD();  // the descriptor must be closed (close()) by then

  std::size_t read(std::span<std::byte> buf);
  std::size_t write(std::span<const std::byte> buf);
  // Connects to sa (the socket is fresh): waits at most until deadline (nanotime, 0
  // none) and while ctx is live.
  void connect(const sockaddr* sa, socklen_t len, std::int64_t deadline, const Context& ctx);
  // Returns true if this call closed it (false: it was closed already).  Waits until
  // the descriptor is really closed.
  bool close() noexcept;
  void set_deadline(Clock::time_point t, int mode);
  void set_int_option(int level, int name, int value);
  void set_linger(int sec);
  void shutdown(int how);

  // For the operations written elsewhere (accept, connect): the read or write lock
  // for the whole operation; throws errc::closed.
  class OpLock {
   public:
    OpLock(NetFD& fd, bool read, const char* op);
    ~OpLock();
    OpLock(const OpLock&) = delete;
    OpLock& operator=(const OpLock&) = delete;

   private:
    NetFD& fd_;
    bool read_;
  };
  // A plain reference, for calls that neither read nor write (Go's incref); throws
  // errc::closed.
  class Ref {
   public:
    Ref(NetFD& fd, const char* op);
    ~Ref();
    Ref(const Ref&) = delete;
    Ref& operator=(const Ref&) = delete;

   private:
    NetFD& fd_;
  };
  // Fails if the descriptor is closing or mode's deadline passed (Go's pd.prepare).
  void prepare(int mode, const char* op);
  // Waits for mode's readiness (Go's pd.wait); throws errc::closed / errc::timeout.
  void wait(int mode, const char* op);
  // Throws "<op> <net> <laddr>-><raddr>[: <syscall>]: <ec's message>" (Go's OpError).
  [[noreturn]] void fail(const char* op, std::error_code ec, const char* syscall = nullptr) const;
  [[noreturn]] void fail_errno(const char* op, int err, const char* syscall) const {
    fail(op, std::error_code(err, std::system_category()), syscall);
  }

  static Conn make_conn(std::unique_ptr<NetFD> fd) noexcept { return Conn(std::move(fd)); }

  // Immutable once the NetFD is published (written by whoever creates it).
  const int sysfd;
  const int family;
  const std::string net;        // "tcp", "tcp4", "tcp6", "unix"
  std::string laddr;            // numeric, "" if unknown
  std::string raddr;
  std::string unlink_on_close;  // a unix listener: the socket file it created

  gort::detail::PollDesc* const pd;

 private:
  NetFD(int sysfd, int family, std::string net, gort::detail::PollDesc* pd);
  // Closes the fd and releases pd; run by whoever drops the last reference of a
  // closed NetFD, as its last touch of the NetFD (close() may return and the owner
  // free it right after).
  void destroy() noexcept;
  // Drops a reference taken by incref / rwlock.
  void decref() noexcept {
    if (mu_.decref()) destroy();
  }

  FdMutex mu_;
  std::atomic<std::uint32_t> csema_{0};  // close() waits here for destroy()
};

}  // namespace gort::net::detail
