// addr.hpp -- networks, "host:port" addresses and socket addresses for gort::net.
// Design: addr.cpp.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

namespace gort::net::detail {

// A network name, checked (Go's parseNetwork).
struct Network {
  std::string name;  // "tcp", "tcp4", "tcp6" or "unix"
  int family;        // AF_UNSPEC ("tcp"), AF_INET, AF_INET6 or AF_UNIX
  bool is_unix() const { return family == AF_UNIX; }
};
// Throws errc::unknown_network ("<op> <network>: unknown network").
Network parse_network(std::string_view network, const char* op);

// A socket address, by value.
struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  bool dual_stack = false;  // listen: an IPv6 wildcard that also takes IPv4 ("tcp", ":80")
  int family() const { return ss.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

// "127.0.0.1:80", "[::1]:80", "[fe80::1%eth0]:80" (IPv4-mapped IPv6 as IPv4), a unix
// path, "@name" for an abstract unix socket, "" for an unnamed one.
std::string sockaddr_string(const sockaddr* sa, socklen_t len);
// getsockname / getpeername as strings ("" on failure).
std::string local_sockaddr_string(int fd);
std::string peer_sockaddr_string(int fd);

// What an address is resolved for: a listener binds one address (wildcard if the
// host is empty), a dial tries them all (the local system if the host is empty).
enum class Purpose { kListen, kDial };
// Resolves a TCP "host:port" (names with getaddrinfo inside gort::blocking()).  Never
// empty; throws std::system_error with an errc and a Go-style message naming op.
std::vector<SockAddr> resolve_tcp(const Network& net, std::string_view address, Purpose purpose, const char* op);
// A unix path, or "@name"; throws errc::invalid_address.
SockAddr unix_sockaddr(const Network& net, std::string_view path, const char* op);

}  // namespace gort::net::detail
