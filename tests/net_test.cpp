// net_test.cpp -- gort::net: TCP and unix sockets on the poller.  Every test checks
// that the process has as many open descriptors at the end as at the start.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sanitizers.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = gort::Clock;
using gort::net::Conn;
using gort::net::Listener;

int open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the DIR's own descriptor
}

std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) b[i] = static_cast<std::byte>(s[i]);
  return b;
}

std::string text(std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// Reads until `want` bytes or end of stream.
std::vector<std::byte> read_full(Conn& c, std::size_t want) {
  std::vector<std::byte> got(want);
  std::size_t have = 0;
  while (have < want) {
    std::size_t n = c.read(std::span(got).subspan(have));
    if (n == 0) break;
    have += n;
  }
  got.resize(have);
  return got;
}

std::string read_all(Conn& c) {
  std::string out;
  std::array<std::byte, 4096> buf;
  while (std::size_t n = c.read(buf)) out += text(std::span(buf).first(n));
  return out;
}

// A connected pair over loopback TCP (or another listener's network): {client,
// server}.  Tests name the two with references, not a structured binding, which
// clang 14's lambdas cannot capture.
std::pair<Conn, Conn> conn_pair(Listener& ln, const std::string& network = "tcp") {
  auto accepted = gort::make_chan<int>(1);
  Conn server;
  gort::go([&] {
    server = ln.accept();
    accepted.send(1);
  });
  Conn client = gort::net::dial(network, ln.addr());
  (void)accepted.recv();
  return {std::move(client), std::move(server)};
}

// A listener on an ephemeral loopback port and one connection to it, both ends.
struct Loopback {
  Listener ln;
  Conn client, server;
};
Loopback loopback() {
  auto ln = gort::net::listen("tcp", "127.0.0.1:0");
  auto client_server = conn_pair(ln);
  return {std::move(ln), std::move(client_server.first), std::move(client_server.second)};
}

// Echoes until end of stream, then closes.
void echo(Conn& c) {
  std::vector<std::byte> buf(64 * 1024);
  while (std::size_t n = c.read(buf)) c.write(std::span(buf).first(n));
  c.close();
}

// Runs f and returns the std::system_error it threw (fails the test if none).
template <class F>
std::system_error error_of(F&& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e;
  }
  ADD_FAILURE() << "no std::system_error thrown";
  return std::system_error(std::error_code());
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

bool have_ipv6_loopback() {
  int s = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// The fd-leak check around every test.
class NetTest : public gort_test::ProcsTest {
 protected:
  static void SetUpTestSuite() {
    // The poller's own descriptors are created on first use and live for good.
    gort::run([] { gort::net::listen("tcp", "127.0.0.1:0").close(); });
  }
  void SetUp() override { fds_ = open_fds(); }
  void TearDown() override { EXPECT_EQ(open_fds(), fds_) << "descriptors leaked"; }

 private:
  int fds_ = 0;
};

TEST_P(NetTest, EchoOneMiBBothWaysWithConcurrentReaderAndWriter) {
  run([] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    EXPECT_TRUE(contains(ln.addr(), "127.0.0.1:"));
    auto client_server = conn_pair(ln);
    Conn& client = client_server.first;
    Conn& server = client_server.second;
    EXPECT_EQ(client.remote_addr(), ln.addr());
    EXPECT_EQ(server.local_addr(), ln.addr());
    EXPECT_EQ(server.remote_addr(), client.local_addr());
    EXPECT_EQ(client.network(), "tcp");
    gort::WaitGroup wg;
    wg.go([&] { echo(server); });
    constexpr std::size_t N = 1 << 20;
    std::vector<std::byte> out(N);
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::byte>((i * 7 + i / 251) & 0xff);
    wg.go([&] {
      EXPECT_EQ(client.write(out), N);
      client.close_write();
    });
    auto in = read_full(client, N + 1);  // + 1: the server's close ends the stream
    EXPECT_TRUE(in == out);
    wg.wait();
  });
}

TEST_P(NetTest, ConcurrentWritesAreNotInterleaved) {
  run([] {
    Loopback lb = loopback();
    Conn& client = lb.client;
    Conn& server = lb.server;
    constexpr int Writers = 4, Records = 16;
    constexpr std::size_t Size = 200 * 1024;  // larger than a socket buffer: writes park
    gort::WaitGroup wg;
    for (int w = 0; w < Writers; ++w)
      wg.go(
          [&client](int id) {
            std::vector<std::byte> rec(Size, static_cast<std::byte>('a' + id));
            for (int r = 0; r < Records; ++r) client.write(rec);
          },
          w);
    auto in = read_full(server, Size * Writers * Records);
    ASSERT_EQ(in.size(), Size * Writers * Records);
    for (std::size_t at = 0; at < in.size(); at += Size)
      for (std::size_t i = at; i < at + Size; ++i) ASSERT_EQ(in[i], in[at]) << "record at " << at << " interleaved";
    wg.wait();
  });
}

TEST_P(NetTest, SlowReaderParksTheWriterMidBuffer) {
  run([] {
    Loopback lb = loopback();
    Conn& client = lb.client;
    Conn& server = lb.server;
    // More than the kernel buffers of a loopback connection can hold before the reader
    // reads (send buffer autotuned up to tcp_wmem's 4 MiB, plus the receive window), in
    // every build: with 4 MiB the whole write once fit, and the writer never parked.
    const std::size_t N = 16 << 20;
    auto done = gort::make_chan<std::size_t>(1);
    gort::go([&] {
      std::vector<std::byte> out(N, std::byte{0x5a});
      done.send(client.write(out));
    });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));  // the writer, buffers full
    EXPECT_FALSE(done.try_recv().has_value());
    std::size_t total = 0;
    std::vector<std::byte> buf(64 * 1024);
    while (total < N) {
      std::size_t n = server.read(buf);
      ASSERT_GT(n, 0u);
      ASSERT_TRUE(std::all_of(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n),
                              [](std::byte b) { return b == std::byte{0x5a}; }));
      total += n;
      if (total < N / 8) gort::sleep(100us);  // slow at first
    }
    EXPECT_EQ(done.recv(), N);
  });
}

TEST_P(NetTest, ReadDeadlines) {
  run([] {
    Loopback lb = loopback();
    Conn& client = lb.client;
    Conn& server = lb.server;
    // A deadline that passes while waiting.
    auto t0 = Clock::now();
    client.set_read_deadline(t0 + 30ms);
    std::array<std::byte, 16> b{};
    auto e = error_of([&] { (void)client.read(b); });
    EXPECT_EQ(e.code(), std::errc::timed_out);
    EXPECT_EQ(e.code(), gort::net::errc::timeout);
    EXPECT_TRUE(contains(e.what(), "read tcp " + client.local_addr() + "->" + client.remote_addr() + ": i/o timeout"))
        << e.what();
    EXPECT_GE(Clock::now() - t0, 30ms);

    // A past deadline fails at once, even with data waiting.
    server.write(bytes("x"));
    client.set_read_deadline(Clock::now() - 1s);
    EXPECT_EQ(error_of([&] { (void)client.read(b); }).code(), std::errc::timed_out);
    client.set_read_deadline(Clock::time_point(Clock::duration(1)));  // before the epoch's first tick: past
    EXPECT_EQ(error_of([&] { (void)client.read(b); }).code(), std::errc::timed_out);
    // Cleared: the connection works again.
    client.set_read_deadline({});
    EXPECT_EQ(client.read(b), 1u);

    // Moved later while a reader waits: it keeps waiting, and gets the data.
    client.set_read_deadline(Clock::now() + 50ms);
    auto got = gort::make_chan<std::size_t>(1);
    gort::go([&] { got.send(client.read(b)); });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));
    client.set_read_deadline(Clock::now() + 1h);
    gort::sleep(100ms);
    EXPECT_FALSE(got.try_recv().has_value());
    server.write(bytes("yz"));
    EXPECT_EQ(got.recv(), 2u);

    // Cleared while a reader waits.
    client.set_read_deadline(Clock::now() + 50ms);
    gort::go([&] { got.send(client.read(b)); });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));
    client.set_read_deadline({});
    gort::sleep(100ms);
    EXPECT_FALSE(got.try_recv().has_value());
    server.write(bytes("w"));
    EXPECT_EQ(got.recv(), 1u);

    // Moved into the past while a reader waits: it wakes with a timeout.
    auto failed = gort::make_chan<std::error_code>(1);
    gort::go([&] {
      try {
        (void)client.read(b);
        failed.send(std::error_code());
      } catch (const std::system_error& err) {
        failed.send(err.code());
      }
    });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));
    client.set_deadline(Clock::now() - 1ms);
    EXPECT_EQ(failed.recv(), std::errc::timed_out);
  });
}

TEST_P(NetTest, WriteDeadline) {
  run([] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    auto client_server = conn_pair(ln);  // the server side never reads
    Conn& client = client_server.first;
    std::vector<std::byte> big(8 << 20);
    client.set_write_deadline(Clock::now() + 50ms);
    auto e = error_of([&] { client.write(big); });  // nobody reads: the buffers fill up
    EXPECT_EQ(e.code(), std::errc::timed_out);
    EXPECT_TRUE(contains(e.what(), "write tcp ")) << e.what();
    // Past: fails at once, though the buffers have room again?  No matter: it fails.
    client.set_write_deadline(Clock::now() - 1s);
    EXPECT_EQ(error_of([&] { client.write(bytes("x")); }).code(), std::errc::timed_out);
  });
}

TEST_P(NetTest, CloseWakesBlockedReaderAndWriter) {
  run([] {
    Loopback lb = loopback();
    Conn& client = lb.client;
    Conn& server = lb.server;
    auto errs = gort::make_chan<std::error_code>(2);
    auto catch_into = [&](auto f) {
      try {
        f();
        errs.send(std::error_code());
      } catch (const std::system_error& e) {
        errs.send(e.code());
      }
    };
    gort::go([&] {
      catch_into([&] {
        std::array<std::byte, 16> b;
        (void)client.read(b);
      });
    });
    gort::go([&] {
      catch_into([&] {
        std::vector<std::byte> big(16 << 20);
        client.write(big);
      });
    });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 2));
    client.close();
    EXPECT_EQ(errs.recv(), gort::net::errc::closed);
    EXPECT_EQ(errs.recv(), gort::net::errc::closed);
    // Later use, and a second close.
    std::array<std::byte, 4> b;
    auto e = error_of([&] { (void)client.read(b); });
    EXPECT_EQ(e.code(), gort::net::errc::closed);
    EXPECT_TRUE(contains(e.what(), "use of closed network connection")) << e.what();
    EXPECT_EQ(error_of([&] { client.write(b); }).code(), gort::net::errc::closed);
    EXPECT_EQ(error_of([&] { client.set_deadline({}); }).code(), gort::net::errc::closed);
    client.close();
    // The peer sees what the writer got out before, then end of stream.
    while (server.read(b) > 0) {
    }
    // A moved-from Conn is closed too.
    Conn moved = std::move(server);
    EXPECT_EQ(error_of([&] { (void)server.read(b); }).code(), gort::net::errc::closed);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(Conn().remote_addr(), "");
  });
}

// Goroutines still blocked on a Conn when main returns are unwound by run(): one in
// the poller, one waiting for the read lock behind it.  The last owner's close then
// really closes the descriptor (the fixture checks none leaked).
TEST_P(NetTest, AbandonedReadersLeakNothing) {
  auto peer = std::make_shared<Conn>();
  run([&peer] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    auto client_server = conn_pair(ln);
    auto shared = std::make_shared<Conn>(std::move(client_server.first));
    *peer = std::move(client_server.second);
    for (int i = 0; i < 2; ++i)
      gort::go([shared] {
        std::array<std::byte, 8> b;
        (void)shared->read(b);
      });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));
    EXPECT_TRUE(gort_test::await_parked("semacquire", 1));
  });
  peer.reset();
}

TEST_P(NetTest, DialRefused) {
  run([] {
    auto l2 = gort::net::listen("tcp", "127.0.0.1:0");
    const std::string dead = l2.addr();
    l2.close();
    auto e = error_of([&] { (void)gort::net::dial("tcp", dead); });
    EXPECT_EQ(e.code(), std::errc::connection_refused);
    EXPECT_TRUE(contains(e.what(), "dial tcp " + dead + ": connect: ")) << e.what();
  });
}

TEST_P(NetTest, HalfClose) {
  run([] {
    Loopback lb = loopback();
    Conn& client = lb.client;
    Conn& server = lb.server;
    client.write(bytes("request"));
    client.close_write();
    EXPECT_EQ(read_all(server), "request");  // end of stream after the request
    server.write(bytes("reply"));
    server.close();
    EXPECT_EQ(read_all(client), "reply");
    EXPECT_EQ(error_of([&] { client.write(bytes("more")); }).code(), std::errc::broken_pipe);
  });
}

TEST_P(NetTest, PeerResetFailsOnlyThatConn) {
  run([] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    auto c1_s1 = conn_pair(ln);
    Conn& c1 = c1_s1.first;
    Conn& s1 = c1_s1.second;
    auto c2_s2 = conn_pair(ln);
    Conn& c2 = c2_s2.first;
    Conn& s2 = c2_s2.second;
    c1.write(bytes("unread"));  // unread data also makes close send a reset
    gort::sleep(10ms);
    s1.set_linger(0);
    s1.close();
    std::array<std::byte, 16> b;
    auto e = error_of([&] {
      while (c1.read(b) > 0) {
      }
    });
    EXPECT_EQ(e.code(), std::errc::connection_reset) << e.what();
    // A write to a reset connection fails too, without SIGPIPE.
    EXPECT_TRUE(error_of([&] {
                  for (int i = 0; i < 100; ++i) c1.write(bytes("after reset"));
                }).code());
    // The other connection is unaffected.
    gort::WaitGroup wg;
    wg.go([&] { echo(s2); });
    c2.write(bytes("still fine"));
    EXPECT_EQ(text(read_full(c2, 10)), "still fine");
    c2.close();
    wg.wait();
  });
}

TEST_P(NetTest, WriteToClosedPeerIsAnErrorNotSigpipe) {
  run([] {
    auto ln = gort::net::listen("unix", "@gort-net-test-sigpipe-" + std::to_string(::getpid()));
    auto client_server = conn_pair(ln, "unix");
    Conn& client = client_server.first;
    Conn& server = client_server.second;
    server.close();
    auto e = error_of([&] {
      for (;;) client.write(bytes("into the void"));
    });
    EXPECT_EQ(e.code(), std::errc::broken_pipe) << e.what();
  });
}

TEST_P(NetTest, AcceptOnClosedListener) {
  run([] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    auto err = gort::make_chan<std::error_code>(1);
    gort::go([&] {
      try {
        (void)ln.accept();
      } catch (const std::system_error& e) {
        err.send(e.code());
      }
    });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));
    ln.close();
    EXPECT_EQ(err.recv(), gort::net::errc::closed);
    auto e = error_of([&] { (void)ln.accept(); });
    EXPECT_EQ(e.code(), gort::net::errc::closed);
    ln.close();
    EXPECT_EQ(error_of([] { (void)Listener().accept(); }).code(), gort::net::errc::closed);
  });
}

TEST_P(NetTest, ListenerDeadline) {
  run([] {
    auto ln = gort::net::listen("tcp4", "127.0.0.1:0");
    ln.set_deadline(Clock::now() + 20ms);
    auto e = error_of([&] { (void)ln.accept(); });
    EXPECT_EQ(e.code(), std::errc::timed_out);
    EXPECT_TRUE(contains(e.what(), "accept tcp4 " + ln.addr() + ": i/o timeout")) << e.what();
    ln.set_deadline({});
    auto c_s = conn_pair(ln, "tcp4");
    EXPECT_EQ(c_s.second.network(), "tcp4");
  });
}

TEST_P(NetTest, BadAddresses) {
  run([] {
    auto code = [](auto f) { return error_of(f).code(); };
    using gort::net::errc;
    auto e = error_of([] { (void)gort::net::dial("tcp9", "127.0.0.1:80"); });
    EXPECT_EQ(e.code(), errc::unknown_network);
    EXPECT_EQ(e.code(), std::errc::invalid_argument);
    EXPECT_STREQ(e.what(), "dial tcp9: unknown network");
    e = error_of([] { (void)gort::net::dial("tcp", "1.2.3.4:99999"); });
    EXPECT_EQ(e.code(), errc::invalid_port);
    EXPECT_STREQ(e.what(), "dial tcp: address 1.2.3.4:99999: invalid port");
    EXPECT_EQ(code([] { (void)gort::net::dial("tcp", "nohost"); }), errc::missing_port);
    EXPECT_EQ(code([] { (void)gort::net::listen("tcp", "::1:80"); }), errc::too_many_colons);
    EXPECT_EQ(code([] { (void)gort::net::listen("tcp", "[::1:80"); }), errc::missing_bracket);
    EXPECT_EQ(code([] { (void)gort::net::listen("tcp", "[::1]]:80"); }), std::errc::invalid_argument);
    EXPECT_EQ(code([] { (void)gort::net::listen("tcp", "127.0.0.1:port-nobody-has"); }), errc::invalid_port);
    EXPECT_EQ(code([] { (void)gort::net::listen("tcp4", "[::1]:0"); }), errc::no_suitable_address);
    EXPECT_EQ(code([] { (void)gort::net::listen("unix", std::string(200, 'x')); }), errc::invalid_address);
    e = error_of([] { (void)gort::net::dial("tcp", "nohost.invalid:80"); });
    EXPECT_TRUE(e.code() == errc::no_such_host || e.code() == errc::lookup_failed) << e.what();
    EXPECT_TRUE(contains(e.what(), "dial tcp: lookup nohost.invalid")) << e.what();

    auto [h, p] = gort::net::split_host_port("[::1]:80");
    EXPECT_EQ(h, "::1");
    EXPECT_EQ(p, "80");
    EXPECT_EQ(gort::net::split_host_port(":8080").first, "");
    EXPECT_EQ(gort::net::join_host_port("::1", "80"), "[::1]:80");
    EXPECT_EQ(gort::net::join_host_port("example.com", "http"), "example.com:http");
  });
}

TEST_P(NetTest, NamesAndWildcards) {
  run([] {
    // A service name, "localhost", and ":0" (every interface).
    auto ln = gort::net::listen("tcp", ":0");
    const std::string port = gort::net::split_host_port(ln.addr()).second;
    EXPECT_NE(port, "0");
    auto c = gort::net::dial("tcp", "localhost:" + port);  // reaches the wildcard listener
    auto s = ln.accept();
    EXPECT_EQ(s.remote_addr(), c.local_addr());  // IPv4-mapped peers print as IPv4
    auto c2 = gort::net::dial("tcp", ":" + port);  // the local system
    auto s2 = ln.accept();
    EXPECT_EQ(s2.remote_addr(), c2.local_addr());
  });
}

TEST_P(NetTest, IPv6Loopback) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  run([] {
    auto ln = gort::net::listen("tcp6", "[::1]:0");
    EXPECT_EQ(ln.addr().rfind("[::1]:", 0), 0u) << ln.addr();
    auto client_server = conn_pair(ln, "tcp");
    Conn& client = client_server.first;
    Conn& server = client_server.second;
    EXPECT_EQ(client.remote_addr(), ln.addr());
    gort::WaitGroup wg;  // server must outlive the goroutine using it
    wg.go([&] { echo(server); });
    client.write(bytes("over IPv6"));
    client.close_write();
    EXPECT_EQ(read_all(client), "over IPv6");
    wg.wait();
  });
}

TEST_P(NetTest, UnixSockets) {
  run([] {
    const std::string path = ::testing::TempDir() + "gort-net-test-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    {
      auto ln = gort::net::listen("unix", path);
      EXPECT_EQ(ln.addr(), path);
      struct stat st{};
      ASSERT_EQ(::stat(path.c_str(), &st), 0);
      EXPECT_TRUE(S_ISSOCK(st.st_mode));
      // A second listener on the same path fails, and does not remove the file.
      auto e = error_of([&] { (void)gort::net::listen("unix", path); });
      EXPECT_EQ(e.code(), std::errc::address_in_use) << e.what();
      EXPECT_EQ(::stat(path.c_str(), &st), 0);
      auto client_server = conn_pair(ln, "unix");
      Conn& client = client_server.first;
      Conn& server = client_server.second;
      EXPECT_EQ(client.remote_addr(), path);
      EXPECT_EQ(server.local_addr(), path);
      gort::WaitGroup wg;
      wg.go([&] { echo(server); });
      client.write(bytes("over a unix socket"));
      client.close_write();
      EXPECT_EQ(read_all(client), "over a unix socket");
      wg.wait();
      ln.close();
      EXPECT_NE(::stat(path.c_str(), &st), 0);  // closing removed the socket file
      EXPECT_EQ(errno, ENOENT);
    }
    // An abstract socket: no file.
    const std::string name = "@gort-net-test-" + std::to_string(::getpid());
    auto ln = gort::net::listen("unix", name);
    EXPECT_EQ(ln.addr(), name);
    auto client_server = conn_pair(ln, "unix");
    EXPECT_EQ(client_server.first.remote_addr(), name);
    // Dialling a path nobody listens on.
    auto e = error_of([&] { (void)gort::net::dial("unix", path); });
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory) << e.what();
    EXPECT_TRUE(contains(e.what(), "dial unix " + path + ": connect")) << e.what();
  });
}

TEST_P(NetTest, BlockedReaderShowsIOWait) {
  run([] {
    Loopback lb = loopback();
    Conn& client = lb.client;
    Conn& server = lb.server;
    auto done = gort::make_chan<std::size_t>(1);
    gort::go([&] {
      std::array<std::byte, 8> b;
      done.send(client.read(b));
    });
    ASSERT_TRUE(gort_test::await_parked("IO wait", 1));
    std::ostringstream dump;
    gort::dump_goroutines(dump);
    EXPECT_TRUE(contains(dump.str(), "[IO wait")) << dump.str();
    server.close();
    EXPECT_EQ(done.recv(), 0u);
  });
}

TEST_P(NetTest, DialWithContext) {
  run([] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    // Cancelled before: fails at once.
    auto [ctx_, cancel] = gort::with_cancel(gort::background());
    const gort::Context ctx = ctx_;  // (clang 14: lambdas cannot capture structured bindings)
    cancel();
    auto e = error_of([&] { (void)gort::net::dial(ctx, "tcp", ln.addr()); });
    EXPECT_EQ(e.code(), gort::errc::canceled) << e.what();
    // An expired deadline: the dial times out.
    auto [expired_, cancel2] = gort::with_deadline(gort::background(), Clock::now() - 1s);
    const gort::Context expired = expired_;
    e = error_of([&] { (void)gort::net::dial(expired, "tcp", ln.addr()); });
    EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
    EXPECT_TRUE(contains(e.what(), "i/o timeout")) << e.what();
    // A live context: the dial succeeds, and cancelling later does not touch the Conn.
    auto [live, cancel3] = gort::with_timeout(gort::background(), 10s);
    auto c = gort::net::dial(live, "tcp", ln.addr());
    auto s = ln.accept();
    cancel3();
    s.write(bytes("ok"));
    EXPECT_EQ(text(read_full(c, 2)), "ok");
    cancel2();
  });
}

// A connect that cannot complete: a raw listener with a backlog of 0 that nobody
// accepts from holds one connection; the next SYNs are dropped.
int stuck_listener(std::string* addr) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(s, 0) != 0) return -1;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  *addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  return s;
}

TEST_P(NetTest, CancelAndTimeOutAConnectInProgress) {
  run([] {
    std::string addr;
    const int raw = stuck_listener(&addr);
    ASSERT_GE(raw, 0);
    std::vector<Conn> fill;
    // Fill the queue until a dial hangs (dial_timeout tells).
    bool hung = false;
    for (int i = 0; i < 8 && !hung; ++i) {
      try {
        fill.push_back(gort::net::dial_timeout("tcp", addr, 200ms));
      } catch (const std::system_error& e) {
        ASSERT_EQ(e.code(), std::errc::timed_out) << e.what();
        EXPECT_TRUE(contains(e.what(), "dial tcp " + addr + ": i/o timeout")) << e.what();
        hung = true;
      }
    }
    if (!hung) {
      ::close(raw);
      GTEST_SKIP() << "this kernel completes connects beyond the backlog";
    }
    auto [ctx, cancel] = gort::with_cancel(gort::background());
    auto err = gort::make_chan<std::error_code>(1);
    gort::go([&, ctx = ctx] {
      try {
        (void)gort::net::dial(ctx, "tcp", addr);
        err.send(std::error_code());
      } catch (const std::system_error& e) {
        err.send(e.code());
      }
    });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));
    cancel();
    EXPECT_EQ(err.recv(), gort::errc::canceled);
    auto [tctx_, tcancel] = gort::with_timeout(gort::background(), 50ms);
    const gort::Context tctx = tctx_;
    EXPECT_EQ(error_of([&] { (void)gort::net::dial(tctx, "tcp", addr); }).code(), std::errc::timed_out);
    tcancel();
    fill.clear();
    ::close(raw);
  });
}

GORT_INSTANTIATE_PROCS(NetTest);

// 10,000 connections at once (as many as the descriptor limit allows) on 2 Ps.
class NetManyTest : public NetTest {};

TEST_P(NetManyTest, TenThousandConcurrentConnections) {
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  const rlimit saved = lim;
  lim.rlim_cur = lim.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);
  const long room = (static_cast<long>(lim.rlim_cur) - open_fds() - 64) / 2;  // two fds a connection
  const int n = static_cast<int>(std::min(gort_test::scaled(10000, 500), room));
  RecordProperty("connections", n);
  run([n] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    gort::WaitGroup servers;
    gort::go([&] {
      for (int i = 0; i < n; ++i) {
        auto c = std::make_shared<Conn>(ln.accept());
        servers.go([c] { echo(*c); });
      }
    });
    std::atomic<int> good{0};
    auto all_connected = gort::make_chan<int>(n);
    auto go_on = gort::make_chan<int>();
    gort::WaitGroup clients;
    for (int k = 0; k < n; ++k)
      clients.go(
          [&](int id) {
            auto c = gort::net::dial("tcp", ln.addr());
            all_connected.send(1);
            (void)go_on.recv();  // every connection is open at once
            const std::string msg = "client " + std::to_string(id);
            c.write(bytes(msg));
            c.close_write();
            if (read_all(c) == msg) good.fetch_add(1);
          },
          k);
    for (int k = 0; k < n; ++k) (void)all_connected.recv();
    go_on.close();
    clients.wait();
    servers.wait();
    EXPECT_EQ(good.load(), n);
  });
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
}

INSTANTIATE_TEST_SUITE_P(Procs, NetManyTest, ::testing::Values(2),
                         [](const ::testing::TestParamInfo<int>& i) { return "P" + std::to_string(i.param); });

// The process's user and system CPU time, seconds.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Every descriptor number below RLIMIT_NOFILE in use (the limit lowered to just above
// the highest open one, the rest taken by dups), until release() or the end of scope.
class DescriptorsUsedUp {
 public:
  DescriptorsUsedUp() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') highest = std::max(highest, std::atoi(e->d_name));
    ::closedir(d);
    rlimit lim = saved_;
    lim.rlim_cur = static_cast<rlim_t>(highest + 1);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    for (int fd; (fd = ::dup(0)) >= 0;) hogs_.push_back(fd);
    used_up_ = errno == EMFILE;
  }
  ~DescriptorsUsedUp() { release(); }
  bool used_up() const { return used_up_; }
  void release() {
    ::setrlimit(RLIMIT_NOFILE, &saved_);
    for (int fd : hogs_) ::close(fd);
    hogs_.clear();
  }

 private:
  rlimit saved_{};
  std::vector<int> hogs_;
  bool used_up_ = false;
};

// Out of descriptors, dial and listen fail at once with EMFILE (the poller's own
// descriptors exist already: SetUpTestSuite), and work again once one is free.
TEST_P(NetTest, DialAndListenOutOfDescriptorsThrowEMFILE) {
#if GORT_ASAN
  GTEST_SKIP() << "UBSan's vptr check of the std::system_error needs a descriptor to read /proc/self/maps";
#endif
  run([] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    DescriptorsUsedUp none_left;
    ASSERT_TRUE(none_left.used_up());
    std::system_error e = error_of([&] { gort::net::dial("tcp", ln.addr()); });
    EXPECT_EQ(e.code().value(), EMFILE) << e.what();
    EXPECT_TRUE(contains(e.what(), "dial tcp " + ln.addr() + ": socket: ")) << e.what();
    e = error_of([] { gort::net::listen("tcp", "127.0.0.1:0"); });
    EXPECT_EQ(e.code().value(), EMFILE) << e.what();
    none_left.release();
    auto [client, server] = conn_pair(ln);
    EXPECT_EQ(client.remote_addr(), server.local_addr());
  });
}

// Out of descriptors: accept waits and retries instead of failing or spinning.
TEST_P(NetTest, AcceptBacksOffWhenOutOfDescriptors) {
  run([] {
    auto ln = gort::net::listen("tcp", "127.0.0.1:0");
    auto c = gort::net::dial("tcp", ln.addr());
    DescriptorsUsedUp none_left;  // the next accept4 gets EMFILE
    ASSERT_TRUE(none_left.used_up());
    auto accepted = gort::make_chan<std::string>(1);
    gort::go([&] { accepted.send(ln.accept().remote_addr()); });
    const double cpu_before = cpu_seconds();
    gort::sleep(200ms);  // accept sees EMFILE and backs off
    EXPECT_FALSE(accepted.try_recv().has_value());
    // Backing off, not spinning: a retry loop would burn the whole 200 ms.
    EXPECT_LT(cpu_seconds() - cpu_before, 0.1);
    none_left.release();
    EXPECT_EQ(accepted.recv(), c.local_addr());
  });
}

}  // namespace
