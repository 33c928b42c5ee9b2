// addr.cpp -- address handling for gort::net, after Go's net/ipsock.go and
// lookup.go: networks, "host:port" splitting, literal IPs, name resolution, and the
// numeric form of socket addresses that Conn and Listener report.
//
// Resolution.  Literal IPs and the empty host are never looked up.  Names go to
// getaddrinfo inside gort::blocking() (Go's cgo resolver): the call may block for the
// resolver's whole timeout, so its M gives up its P meanwhile.  A lookup is not
// interrupted by a dial's deadline or Context (a thread in getaddrinfo cannot be
// stopped); the deadline is checked again before connecting.
//
// The empty host: listening on ":80" with "tcp" binds one dual-stack [::] socket when
// the machine has IPv6 (as Go does), otherwise 0.0.0.0; dialling ":80" reaches the
// local system (127.0.0.1, or ::1 for "tcp6"), as Go does.
#include "addr.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <system_error>

#include <gort/blocking.hpp>
#include <gort/net.hpp>

namespace gort::net {
namespace {

[[noreturn]] void addr_error(const std::string& prefix, std::string_view hostport, errc why) {
  throw std::system_error(why, prefix + "address " + std::string(hostport));
}

// Go's SplitHostPort; errors read "<prefix>address <hostport>: <why>".
std::pair<std::string, std::string> split(std::string_view hp, const std::string& prefix) {
  const std::size_t i = hp.rfind(':');
  if (i == std::string_view::npos) addr_error(prefix, hp, errc::missing_port);
  std::string_view host;
  std::size_t j = 0;
  std::size_t k = 0;
  if (hp[0] == '[') {
    const std::size_t end = hp.find(']');
    if (end == std::string_view::npos) addr_error(prefix, hp, errc::missing_bracket);
    if (end + 1 == hp.size()) addr_error(prefix, hp, errc::missing_port);
    if (end + 1 != i) addr_error(prefix, hp, hp[end + 1] == ':' ? errc::too_many_colons : errc::missing_port);
    host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    host = hp.substr(0, i);
    if (host.find(':') != std::string_view::npos) addr_error(prefix, hp, errc::too_many_colons);
  }
  if (hp.find('[', j) != std::string_view::npos || hp.find(']', k) != std::string_view::npos)
    addr_error(prefix, hp, errc::unexpected_bracket);
  return {std::string(host), std::string(hp.substr(i + 1))};
}

}  // namespace

std::pair<std::string, std::string> split_host_port(std::string_view hostport) { return split(hostport, ""); }

std::string join_host_port(std::string_view host, std::string_view port) {
  // Appended piece by piece: g++ 12 -O3 warns falsely (-Wrestrict) on "[" + std::string(...).
  const bool bracket = host.find(':') != std::string_view::npos;
  std::string out;
  out.reserve(host.size() + port.size() + 3);
  if (bracket) out += '[';
  out.append(host);
  if (bracket) out += ']';
  out += ':';
  out.append(port);
  return out;
}

namespace detail {
namespace {

constexpr int kMaxPort = 65535;

// Go's parsePort, then LookupPort for service names ("http").
std::uint16_t parse_port(const std::string& port, const std::string& prefix, std::string_view hp) {
  if (port.empty()) return 0;
  if (std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    long v = 0;
    for (char c : port) {
      v = v * 10 + (c - '0');
      if (v > kMaxPort) addr_error(prefix, hp, errc::invalid_port);
    }
    return static_cast<std::uint16_t>(v);
  }
  int found = -1;
  gort::blocking([&] {
    servent se{};
    servent* res = nullptr;
    char buf[1024];
    if (::getservbyname_r(port.c_str(), "tcp", &se, buf, sizeof buf, &res) == 0 && res != nullptr)
      found = ntohs(static_cast<std::uint16_t>(res->s_port));
  });
  if (found < 0) addr_error(prefix, hp, errc::invalid_port);
  return static_cast<std::uint16_t>(found);
}

SockAddr ipv4(const in_addr& a, std::uint16_t port) {
  SockAddr sa;
  auto* sin = reinterpret_cast<sockaddr_in*>(&sa.ss);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  sin->sin_addr = a;
  sa.len = sizeof(sockaddr_in);
  return sa;
}

SockAddr ipv6(const in6_addr& a, std::uint32_t scope, std::uint16_t port) {
  SockAddr sa;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sa.ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  sin6->sin6_addr = a;
  sin6->sin6_scope_id = scope;
  sa.len = sizeof(sockaddr_in6);
  return sa;
}

// A literal IP ("10.0.0.1", "::1", "fe80::1%eth0"), or false.
bool parse_literal(const std::string& host, std::uint16_t port, SockAddr* out) {
  in_addr a4{};
  if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    *out = ipv4(a4, port);
    return true;
  }
  const std::size_t pct = host.find('%');
  const std::string ip = host.substr(0, pct);
  in6_addr a6{};
  if (::inet_pton(AF_INET6, ip.c_str(), &a6) != 1) return false;
  std::uint32_t scope = 0;
  if (pct != std::string::npos) {
    const std::string zone = host.substr(pct + 1);
    scope = ::if_nametoindex(zone.c_str());
    if (scope == 0 && !zone.empty() && std::all_of(zone.begin(), zone.end(), [](char c) { return c >= '0' && c <= '9'; }))
      scope = static_cast<std::uint32_t>(std::stoul(zone));
    if (scope == 0) return false;
  }
  *out = ipv6(a6, scope, port);
  return true;
}

// Whether IPv6 sockets work here (Go's ipStackCapabilities): probed once.
bool have_ipv6() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    int s = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    SockAddr lo = ipv6(in6addr_loopback, 0, 0);
    ok = ::bind(s, lo.get(), lo.len) == 0;
    ::close(s);
  });
  return ok;
}

bool family_fits(const Network& net, int family) { return net.family == AF_UNSPEC || net.family == family; }

}  // namespace

Network parse_network(std::string_view network, const char* op) {
  if (network == "tcp") return {"tcp", AF_UNSPEC};
  if (network == "tcp4") return {"tcp4", AF_INET};
  if (network == "tcp6") return {"tcp6", AF_INET6};
  if (network == "unix") return {"unix", AF_UNIX};
  throw std::system_error(errc::unknown_network, std::string(op) + " " + std::string(network));
}

std::vector<SockAddr> resolve_tcp(const Network& net, std::string_view address, Purpose purpose, const char* op) {
  const std::string prefix = std::string(op) + " " + net.name + ": ";
  const auto host_port = split(address, prefix);
  const std::string& host = host_port.first;  // (not a structured binding: lambdas below use it)
  const std::uint16_t port = parse_port(host_port.second, prefix, address);

  if (host.empty()) {
    const bool v6 = net.family == AF_INET6 || (net.family == AF_UNSPEC && purpose == Purpose::kListen && have_ipv6());
    if (purpose == Purpose::kListen) {
      if (!v6) return {ipv4(in_addr{htonl(INADDR_ANY)}, port)};
      SockAddr any = ipv6(in6addr_any, 0, port);
      any.dual_stack = net.family == AF_UNSPEC;
      return {any};
    }
    return {v6 ? ipv6(in6addr_loopback, 0, port) : ipv4(in_addr{htonl(INADDR_LOOPBACK)}, port)};
  }

  SockAddr literal;
  if (parse_literal(host, port, &literal)) {
    if (!family_fits(net, literal.family()))
      throw std::system_error(errc::no_suitable_address, prefix + "address " + std::string(address));
    return {literal};
  }

  addrinfo hints{};
  hints.ai_family = net.family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  int sys_errno = 0;
  const int rc = gort::blocking([&] {
    int r = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
    sys_errno = errno;
    return r;
  });
  const std::string lookup = prefix.substr(0, prefix.size() - 2) + ": lookup " + host;
  if (rc != 0) {
    if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY) throw std::system_error(errc::no_such_host, lookup);
    if (rc == EAI_SYSTEM) throw std::system_error(sys_errno, std::system_category(), lookup);
    throw std::system_error(errc::lookup_failed, lookup + ": " + ::gai_strerror(rc));
  }
  std::vector<SockAddr> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    SockAddr sa;
    if (ai->ai_family == AF_INET)
      sa = ipv4(reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, port);
    else if (ai->ai_family == AF_INET6)
      sa = ipv6(reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr,
                reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_scope_id, port);
    else
      continue;
    const bool dup = std::any_of(out.begin(), out.end(),
                                 [&](const SockAddr& o) { return o.len == sa.len && std::memcmp(&o.ss, &sa.ss, sa.len) == 0; });
    if (!dup) out.push_back(sa);
  }
  ::freeaddrinfo(res);
  if (out.empty()) throw std::system_error(errc::no_suitable_address, lookup);
  if (purpose == Purpose::kListen) {
    // Go's first(isIPv4): listen on the first IPv4 address, if any.
    auto v4 = std::find_if(out.begin(), out.end(), [](const SockAddr& s) { return s.family() == AF_INET; });
    return {v4 != out.end() ? *v4 : out.front()};
  }
  return out;
}

SockAddr unix_sockaddr(const Network& net, std::string_view path, const char* op) {
  SockAddr sa;
  auto* sun = reinterpret_cast<sockaddr_un*>(&sa.ss);
  sun->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun->sun_path)
    throw std::system_error(errc::invalid_address, std::string(op) + " " + net.name + " " + std::string(path));
  std::memcpy(sun->sun_path, path.data(), path.size());
  sa.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (path[0] == '@')
    sun->sun_path[0] = '\0';  // abstract: exactly the name's bytes, no terminator
  else
    sa.len += 1;  // the terminating NUL
  return sa;
}

std::string sockaddr_string(const sockaddr* sa, socklen_t len) {
  char ip[INET6_ADDRSTRLEN];
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
      ::inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
      return std::string(ip) + ":" + std::to_string(ntohs(sin->sin_port));
    }
    case AF_INET6: {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
      const std::string port = std::to_string(ntohs(sin6->sin6_port));
      if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
        ::inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], ip, sizeof ip);
        return std::string(ip) + ":" + port;
      }
      ::inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
      std::string host = ip;
      if (sin6->sin6_scope_id != 0) {
        char name[IF_NAMESIZE];
        host += "%";
        host += ::if_indextoname(sin6->sin6_scope_id, name) != nullptr ? std::string(name)
                                                                      : std::to_string(sin6->sin6_scope_id);
      }
      return "[" + host + "]:" + port;
    }
    case AF_UNIX: {
      const auto* sun = reinterpret_cast<const sockaddr_un*>(sa);
      const std::size_t off = offsetof(sockaddr_un, sun_path);
      if (len <= off) return "";  // unnamed
      const std::size_t n = len - off;
      if (sun->sun_path[0] == '\0') return std::string(1, '@').append(sun->sun_path + 1, n - 1);  // abstract
      return std::string(sun->sun_path, ::strnlen(sun->sun_path, n));
    }
    default:
      return "";
  }
}

std::string local_sockaddr_string(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  return sockaddr_string(reinterpret_cast<sockaddr*>(&ss), len);
}

std::string peer_sockaddr_string(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  return sockaddr_string(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace detail
}  // namespace gort::net
