// echo_server.cpp -- a TCP echo server: one goroutine per connection, as in Go.
//
//   echo_server [address]      serve forever (default 127.0.0.1:0: any free port)
//   echo_server --self-test    serve, run a few clients against it, print the result
//
// Try it:  ./echo_server 127.0.0.1:7000   and in another shell   nc 127.0.0.1 7000
#include <gort/gort.hpp>

#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "serve.hpp"

namespace {

using namespace std::chrono_literals;

// Copies everything the client sends back to it, until it closes its side.
void serve(std::shared_ptr<gort::net::Conn> conn) {
  try {
    conn->set_deadline(gort::Clock::now() + 5min);  // an idle client cannot hold us forever
    std::array<std::byte, 16 * 1024> buf;
    while (std::size_t n = conn->read(buf)) conn->write(std::span(buf).first(n));
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "%s: %s\n", conn->remote_addr().c_str(), e.what());  // this client only
  }
}

// A client: sends a message, half-closes, reads the echo back.
std::string echo_once(const std::string& addr, const std::string& msg) {
  auto conn = gort::net::dial_timeout("tcp", addr, 5s);
  conn.set_deadline(gort::Clock::now() + 10s);
  conn.write(std::as_bytes(std::span(msg)));
  conn.close_write();  // "that was all": the server sees end of stream
  std::string back;
  std::array<std::byte, 4096> buf;
  while (std::size_t n = conn.read(buf)) back.append(reinterpret_cast<const char*>(buf.data()), n);
  return back;
}

int self_test() {
  auto ln = gort::net::listen("tcp", "127.0.0.1:0");
  gort::go([&ln] { example::accept_loop(ln, serve); });

  constexpr int kClients = 20;
  std::vector<std::string> replies(kClients);
  gort::WaitGroup wg;
  for (int i = 0; i < kClients; ++i)
    wg.go([&, i] { replies[i] = echo_once(ln.addr(), "hello from client " + std::to_string(i)); });
  wg.wait();
  ln.close();

  int good = 0;
  for (int i = 0; i < kClients; ++i) good += replies[i] == "hello from client " + std::to_string(i);
  std::printf("self-test: %d/%d clients got their echo\n", good, kClients);
  return good == kClients ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return example::server_main(argc, argv, "listening", self_test,
                              [](gort::net::Listener& ln) { example::accept_loop(ln, serve); });
}
