// net.hpp -- gort::net: TCP and Unix-domain sockets (Go's net package) whose blocking
// calls park the goroutine, never the thread.
//
//   // A server: one goroutine per connection, as in Go.
//   auto ln = gort::net::listen("tcp", ":8080");          // or "127.0.0.1:0", "[::1]:0"
//   for (;;) {
//     auto c = std::make_shared<gort::net::Conn>(ln.accept());
//     gort::go([c] {
//       std::array<std::byte, 4096> buf;
//       while (std::size_t n = c->read(buf)) c->write(std::span(buf).first(n));
//     });                                                  // ~Conn closes it
//   }
//
//   // A client, with a deadline for the whole exchange.
//   auto c = gort::net::dial_timeout("tcp", "localhost:8080", 2s);
//   c.set_deadline(gort::Clock::now() + 5s);
//   c.write(request);                                      // all of it, or throws
//   std::size_t n = c.read(reply);                         // 0: the peer closed
//
//   try { ... } catch (const std::system_error& e) {
//     if (e.code() == std::errc::timed_out) ...            // a deadline passed
//     if (e.code() == gort::net::errc::closed) ...          // Go's net.ErrClosed
//   }
//
// Networks: "tcp" (IPv4 or IPv6), "tcp4", "tcp6", "unix" (a path; "@name" is a Linux
// abstract socket).  Addresses are Go's "host:port": "127.0.0.1:80", "[::1]:0",
// "localhost:http", ":8080" (listen: every interface -- for "tcp" a dual-stack [::]
// socket when the machine has IPv6; dial: the local system).  Host names are resolved
// with getaddrinfo inside gort::blocking() (Go's cgo resolver); literal IPs are not
// looked up.  dial tries each resolved address in turn until one connects (Go's
// dialSerial), a dial deadline being shared among them as Go does.  listen on a name
// uses its first address, IPv4 first.  addr(), local_addr() and remote_addr() give
// the numeric form: "127.0.0.1:5000", "[::1]:5000", a path for "unix".
//
// Conn and Listener are move-only handles that own their socket: the destructor
// closes it, and a moved-from or default-constructed one is closed.  Sockets are
// non-blocking, close-on-exec, registered with the poller for life; TCP connections
// have TCP_NODELAY set (as in Go) and listeners SO_REUSEADDR.
//
// Concurrency (Go's rules): a Conn may be used by several goroutines at once.  One
// read and one write proceed in parallel; concurrent reads are serialised among
// themselves, and so are writes (so a write's bytes are never interleaved with
// another's).  Deadlines, addresses and close() may be called from any goroutine at
// any time.  The handle object itself must outlive every call made on it (share it
// with std::shared_ptr, or by reference to an object that outlives the goroutines).
//
// close() (idempotent, never throws) marks the socket closed and wakes every read,
// write and accept blocked on it; they, and any later call, throw errc::closed.  The
// descriptor itself is closed when the last call still in flight has returned, and
// close() waits for that (it is quick: those calls were woken), so the fd number can
// never be reused under a call that still runs.  A second close() returns at once,
// as in Go (the first may still be waiting).  Closing a "unix" Listener removes the
// socket file it created (Go's unlinkOnClose).
//
// Deadlines (Go's SetDeadline): an absolute time after which blocked and future calls
// fail with errc::timeout, which compares equal to std::errc::timed_out ("i/o
// timeout").  Clock::time_point{} means none; a deadline already past fails the next
// call at once, even if data is waiting; setting, moving or clearing a deadline takes
// effect for calls already waiting.  A deadline is not reset by a successful call:
// extend it (set it again) to keep an idle connection alive.  After a timeout the
// connection is still usable once the deadline is moved.
//
// Errors: every failure is a std::system_error whose what() names the operation and
// the addresses as Go does ("dial tcp 127.0.0.1:1: connect: Connection refused",
// "read tcp 127.0.0.1:5000->127.0.0.1:41000: i/o timeout").  code() is:
// - an errno (std::system_category()) from the system call, named in what(): a
//   refused connection, a reset by the peer (only that Conn is affected), a write to
//   a peer that closed (EPIPE: writes never raise SIGPIPE);
// - gort::net::errc (category "gort.net"): closed (which also compares equal to
//   std::errc::bad_file_descriptor), timeout; for bad arguments
//   unknown_network, missing_port, invalid_port, too_many_colons, missing_bracket,
//   unexpected_bracket, invalid_address, no_suitable_address -- all of which compare
//   equal to std::errc::invalid_argument; no_such_host and lookup_failed from the
//   resolver;
// - gort::errc::canceled / deadline_exceeded when a Context passed to dial ended.
// Misuse that Go panics on panics here too (more than 2^20 concurrent calls on one
// socket).
//
// gort::net needs a running gort::run (from goroutines, or from other threads while
// it runs; such a thread blocks instead of parking).  A Conn may be closed or
// destroyed at any time, also after run() returned.
//
// Bringing your own non-blocking library (libcurl multi, c-ares, libpq, hiredis...):
//
//   int fd = ...;                                     // non-blocking, yours
//   for (;;) {
//     ssize_t n = ::read(fd, buf, sizeof buf);
//     if (n >= 0) break;
//     if (errno != EAGAIN) throw ...;
//     if (auto err = gort::net::wait_read(fd, deadline)) return err;   // timed_out
//   }
//
// wait_read(fd, deadline) / wait_write(fd, deadline) park the calling goroutine until
// fd may be readable / writable (then retry the call: readiness is a hint, and EAGAIN
// means wait again), or until the deadline passes (std::errc::timed_out).  A deadline
// of Clock::time_point{} means none.  The fd must be non-blocking and stay open for
// the call; it is not closed or changed.  Any number of goroutines may wait on the
// same fd.  Each call registers the fd with the poller for its duration (two system
// calls beside the wait); gort::net's own connections stay registered for life.
// From a thread that is not a goroutine (or inside blocking()) the thread blocks.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "context.hpp"
#include "time.hpp"

namespace gort::net {

// gort::net's own error codes, in the "gort.net" std::error_category.
enum class errc {
  closed = 1,           // "use of closed network connection" (Go's net.ErrClosed)
  timeout,              // "i/o timeout": a deadline passed; == std::errc::timed_out
  unknown_network,      // "unknown network": not tcp, tcp4, tcp6 or unix
  missing_port,         // "missing port in address"
  invalid_port,         // "invalid port": not a number in 0..65535 nor a service name
  too_many_colons,      // "too many colons in address" (an IPv6 address needs [ ])
  missing_bracket,      // "missing ']' in address"
  unexpected_bracket,   // "unexpected '[' or ']' in address"
  invalid_address,      // "invalid address": e.g. a unix path too long, a bad IP
  no_suitable_address,  // "no suitable address found": e.g. tcp4 with an IPv6 host
  no_such_host,         // "no such host": the resolver knows no such name
  lookup_failed,        // "lookup failed": the resolver failed otherwise (what() says how)
};
const std::error_category& net_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), net_category()}; }

namespace detail {
struct NetFD;  // src/net/fd.hpp
}

// A stream connection (Go's net.Conn / TCPConn / UnixConn).
class Conn {
 public:
  Conn() noexcept;  // a closed Conn
  Conn(Conn&& other) noexcept;
  Conn& operator=(Conn&& other) noexcept;  // closes what *this held
  ~Conn();                                 // close()

  // Reads what is available, at most buf.size() bytes, waiting for at least one;
  // returns 0 at end of stream (or for an empty buf).
  std::size_t read(std::span<std::byte> buf);
  // Writes all of buf (waiting while the socket buffer is full); returns buf.size().
  std::size_t write(std::span<const std::byte> buf);
  // See above: wakes blocked calls with errc::closed; idempotent.
  void close() noexcept;
  // Shuts down the sending side (Go's CloseWrite): the peer reads end of stream,
  // reading here still works.
  void close_write();

  void set_deadline(Clock::time_point t);  // both directions
  void set_read_deadline(Clock::time_point t);
  void set_write_deadline(Clock::time_point t);

  // TCP only (Go's TCPConn): Nagle's algorithm off (the default) or on.
  void set_no_delay(bool no_delay);
  // TCP only (Go's SetLinger): sec < 0 the system default (close returns at once,
  // unsent data is still sent); 0 discard unsent data and reset the connection on
  // close; > 0 linger that long.
  void set_linger(int sec);

  std::string local_addr() const;
  std::string remote_addr() const;
  const std::string& network() const noexcept;  // "tcp", "tcp4", "tcp6", "unix"; "" if none

 private:
  friend struct detail::NetFD;
  explicit Conn(std::unique_ptr<detail::NetFD> fd) noexcept;
  std::unique_ptr<detail::NetFD> fd_;
};

// A listening socket (Go's net.Listener).
class Listener {
 public:
  Listener() noexcept;  // a closed Listener
  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  ~Listener();  // close()

  // Waits for the next connection.  Aborted connections are skipped; when the process
  // is out of descriptors (EMFILE, ENFILE) it waits and retries, backing off up to
  // kAcceptBackoffMax (src/net/listen.cpp), instead of failing or spinning.
  Conn accept();
  // Wakes a blocked accept with errc::closed; removes a unix socket file it created.
  void close() noexcept;
  // accept() fails with errc::timeout once t passed (Clock::time_point{}: never).
  void set_deadline(Clock::time_point t);
  std::string addr() const;  // the bound address: "127.0.0.1:43121", "[::]:8080", a path

 private:
  explicit Listener(std::unique_ptr<detail::NetFD> fd) noexcept;
  friend Listener listen(std::string_view network, std::string_view address);
  std::unique_ptr<detail::NetFD> fd_;
};

Listener listen(std::string_view network, std::string_view address);
Conn dial(std::string_view network, std::string_view address);
// Fails with errc::timeout if no connection is made within d (name lookup included);
// d == 0 means no limit (Go's Dialer.Timeout).
Conn dial_timeout(std::string_view network, std::string_view address, Clock::duration d);
// Go's Dialer.DialContext: gives up when ctx is cancelled (gort::errc::canceled) or
// its deadline passes (errc::timeout, as Go reports it).  A connection made before
// that is kept: cancelling ctx afterwards does not affect it.
Conn dial(const Context& ctx, std::string_view network, std::string_view address);

// Go's net.SplitHostPort / JoinHostPort: "[::1]:80" <-> {"::1", "80"}.  Throws a
// std::system_error (missing_port, too_many_colons, ...) for a malformed address.
std::pair<std::string, std::string> split_host_port(std::string_view hostport);
std::string join_host_port(std::string_view host, std::string_view port);

// Waits until fd (not gort's: yours) may be readable / writable; see above.
[[nodiscard]] std::error_code wait_read(int fd, Clock::time_point deadline = {});
[[nodiscard]] std::error_code wait_write(int fd, Clock::time_point deadline = {});

}  // namespace gort::net

template <>
struct std::is_error_code_enum<gort::net::errc> : std::true_type {};
