// dial.cpp -- dial, dial_timeout and dial with a Context (Go's Dialer.DialContext,
// dialSerial and partialDeadline).
//
// A TCP name may resolve to several addresses; they are tried in the resolver's order
// until one connects (Go's dialSerial; Go's "happy eyeballs" race between IPv4 and
// IPv6 is not done).  With a deadline, each attempt gets an equal share of the time
// left, at least kSaneMinimum (Go's partialDeadline), so that one black-holed address
// does not eat the whole budget.  The error reported is the first attempt's, as Go
// reports it.  The Context is checked between attempts, and watched during each
// connect (fd.cpp).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <optional>

#include <gort/net.hpp>

#include "../time.hpp"
#include "addr.hpp"
#include "fd.hpp"

namespace gort::net {
namespace {

using namespace std::chrono_literals;

// Go's partialDeadline: the least time an address gets when several are left.
constexpr std::int64_t kSaneMinimum = std::chrono::nanoseconds(2s).count();

// Go's partialDeadline; throws errc::timeout when the deadline has passed.
std::int64_t partial_deadline(std::int64_t deadline, std::size_t addrs_left, const detail::Network& net,
                              std::string_view address) {
  if (deadline == 0) return 0;
  const std::int64_t now = gort::detail::nanotime();
  const std::int64_t left = deadline - now;
  if (left <= 0) throw std::system_error(errc::timeout, "dial " + net.name + " " + std::string(address));
  std::int64_t share = left / static_cast<std::int64_t>(addrs_left);
  if (share < kSaneMinimum) share = std::min(left, kSaneMinimum);
  return now + share;
}

Conn dial_one(const detail::Network& net, const detail::SockAddr& ra, std::int64_t deadline, const Context& ctx) {
  const std::string raddr = detail::sockaddr_string(ra.get(), ra.len);
  const int s = ::socket(ra.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) throw std::system_error(errno, std::system_category(), "dial " + net.name + " " + raddr + ": socket");
  auto owned = detail::NetFD::open(s, ra.family(), net.name, "dial");
  detail::NetFD& fd = *owned;
  Conn conn = detail::NetFD::make_conn(std::move(owned));  // closes the socket if we throw
  fd.raddr = raddr;
  fd.connect(ra.get(), ra.len, deadline, ctx);
  fd.laddr = detail::local_sockaddr_string(s);
  if (std::string peer = detail::peer_sockaddr_string(s); !peer.empty()) fd.raddr = peer;
  if (!net.is_unix()) fd.set_int_option(IPPROTO_TCP, TCP_NODELAY, 1);  // Go's default
  return conn;
}

Conn dial_impl(const Context& ctx, std::string_view network, std::string_view address, std::int64_t deadline) {
  const detail::Network net = detail::parse_network(network, "dial");
  if (auto ctx_deadline = ctx.deadline()) {
    const std::int64_t d = detail::deadline_ns(*ctx_deadline);
    if (deadline == 0 || d < deadline) deadline = d;
  }
  if (net.is_unix()) return dial_one(net, detail::unix_sockaddr(net, address, "dial"), deadline, ctx);

  const std::vector<detail::SockAddr> addrs = detail::resolve_tcp(net, address, detail::Purpose::kDial, "dial");
  std::exception_ptr first;
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    try {
      return dial_one(net, addrs[i], partial_deadline(deadline, addrs.size() - i, net, address), ctx);
    } catch (const std::system_error& e) {
      if (!first) first = std::current_exception();
      if (ctx.err()) throw;  // Go's dialSerial stops when the context is done
    }
  }
  std::rethrow_exception(first);
}

}  // namespace

Conn dial(std::string_view network, std::string_view address) { return dial_impl(background(), network, address, 0); }

Conn dial(const Context& ctx, std::string_view network, std::string_view address) {
  return dial_impl(ctx, network, address, 0);
}

Conn dial_timeout(std::string_view network, std::string_view address, Clock::duration d) {
  // Go's Dialer.Timeout: zero means none.
  return dial_impl(background(), network, address, d == Clock::duration{} ? 0 : detail::deadline_ns(Clock::now() + d));
}

}  // namespace gort::net
