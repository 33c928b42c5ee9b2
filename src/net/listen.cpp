// listen.cpp -- listen() and Listener (Go's net.Listen, TCPListener, UnixListener).
//
// accept() retries what Go's http.Server retries: ECONNABORTED (the client gave up
// while queued) at once; running out of descriptors or kernel memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM) after a pause that doubles from kAcceptBackoffMin to
// kAcceptBackoffMax.  The pending connection stays queued meanwhile, so when
// descriptors are freed it is accepted; the edge-triggered poller would not report
// the listener again, which is why the retry sleeps instead of waiting in the poller.
// The sleep is not interrupted by close(): a close() during it returns when the
// sleep ends (at most kAcceptBackoffMax), and accept() then fails with errc::closed.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>

#include <gort/net.hpp>

#include "addr.hpp"
#include "fd.hpp"

namespace gort::net {
namespace {

using namespace std::chrono_literals;

// Go's net/http.Server.Serve: 5 ms doubling, at most 1 s.  We stop at 100 ms so that
// a close() during the pause is not held up for long; ten retries a second cost
// nothing.
constexpr Clock::duration kAcceptBackoffMin = 5ms;
constexpr Clock::duration kAcceptBackoffMax = 100ms;

// Go's maxListenerBacklog: the system's limit (net.core.somaxconn), read once.
int listen_backlog() {
  static const int backlog = [] {
    constexpr int kFallback = SOMAXCONN;
    constexpr int kMax = 65535;  // Linux before 4.1 kept the backlog in a uint16
    std::ifstream f("/proc/sys/net/core/somaxconn");
    int n = 0;
    if (!(f >> n) || n <= 0) return kFallback;
    return std::min(n, kMax);
  }();
  return backlog;
}

detail::NetFD& get(const std::unique_ptr<detail::NetFD>& fd) {
  if (fd == nullptr) throw std::system_error(errc::closed, "accept");
  return *fd;
}

}  // namespace

Listener::Listener() noexcept = default;
Listener::Listener(std::unique_ptr<detail::NetFD> fd) noexcept : fd_(std::move(fd)) {}
Listener::Listener(Listener&& other) noexcept = default;
Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::move(other.fd_);
  }
  return *this;
}
Listener::~Listener() { close(); }

void Listener::close() noexcept {
  if (fd_ == nullptr) return;
  const std::string path = fd_->unlink_on_close;  // *fd_ may be freed once close() returns
  if (fd_->close() && !path.empty()) ::unlink(path.c_str());
}

std::string Listener::addr() const { return fd_ != nullptr ? fd_->laddr : std::string(); }

void Listener::set_deadline(Clock::time_point t) {
  if (fd_ == nullptr) throw std::system_error(errc::closed, "set");
  fd_->set_deadline(t, gort::detail::kPollRead);
}

Conn Listener::accept() {
  detail::NetFD& ln = get(fd_);
  detail::NetFD::OpLock lock(ln, true, "accept");
  ln.prepare(gort::detail::kPollRead, "accept");
  Clock::duration backoff{};
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const int s = ::accept4(ln.sysfd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s >= 0) {
      auto fd = detail::NetFD::open(s, ln.family, ln.net, "accept");
      fd->laddr = detail::local_sockaddr_string(s);
      fd->raddr = detail::sockaddr_string(reinterpret_cast<sockaddr*>(&peer), len);
      if (ln.family != AF_UNIX) {
        const int one = 1;
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // Go's default
      }
      return detail::NetFD::make_conn(std::move(fd));
    }
    switch (const int err = errno) {
      case EINTR:
      case ECONNABORTED:
        continue;
      case EAGAIN:
        ln.wait(gort::detail::kPollRead, "accept");
        continue;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        backoff = backoff == Clock::duration{} ? kAcceptBackoffMin : std::min(2 * backoff, kAcceptBackoffMax);
        gort::sleep(backoff);
        ln.prepare(gort::detail::kPollRead, "accept");  // closed or timed out meanwhile
        continue;
      default:
        ln.fail_errno("accept", err, "accept");
    }
  }
}

Listener listen(std::string_view network, std::string_view address) {
  const detail::Network net = detail::parse_network(network, "listen");
  const detail::SockAddr sa = net.is_unix() ? detail::unix_sockaddr(net, address, "listen")
                                            : detail::resolve_tcp(net, address, detail::Purpose::kListen, "listen")[0];
  const int s = ::socket(sa.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) throw std::system_error(errno, std::system_category(), "listen " + net.name + ": socket");
  Listener ln(detail::NetFD::open(s, sa.family(), net.name, "listen"));
  detail::NetFD& fd = *ln.fd_;
  fd.laddr = net.is_unix() ? std::string(address) : detail::sockaddr_string(sa.get(), sa.len);
  if (!net.is_unix()) {
    fd.set_int_option(SOL_SOCKET, SO_REUSEADDR, 1);  // Go's setDefaultListenerSockopts
    if (sa.family() == AF_INET6) fd.set_int_option(IPPROTO_IPV6, IPV6_V6ONLY, sa.dual_stack ? 0 : 1);
  }
  if (::bind(s, sa.get(), sa.len) != 0) fd.fail_errno("listen", errno, "bind");
  if (::listen(s, listen_backlog()) != 0) fd.fail_errno("listen", errno, "listen");
  if (net.is_unix()) {
    if (address[0] != '@') fd.unlink_on_close = std::string(address);
  } else {
    fd.laddr = detail::local_sockaddr_string(s);
  }
  return ln;
}

}  // namespace gort::net
