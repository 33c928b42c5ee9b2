// echo_server.cpp -- the gort twin of bench/go/echo_server: echoes every byte back,
// one goroutine per connection, a 16 KiB buffer each.
//
//   echo_server --port=9000 --procs=2      (prints "LISTENING 127.0.0.1:<port>")
#include <vector>

#include "server.hpp"

namespace {

void echo(gort::net::Conn& c) {
  std::vector<std::byte> buf(16384);
  for (std::size_t n; (n = c.read(buf)) != 0;) c.write(std::span(buf.data(), n));
}

}  // namespace

int main(int argc, char** argv) { return bench::serve_loopback(argc, argv, echo); }
