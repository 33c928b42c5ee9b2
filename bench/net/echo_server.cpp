// echo_server.cpp -- the gort twin of bench/go/echo_server: echoes every byte back,
// one goroutine per connection, a 16 KiB buffer each.
//
//   echo_server --port=9000 --procs=2      (prints "LISTENING 127.0.0.1:<port>")
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

#include <gort/gort.hpp>

#include "harness.hpp"

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv, {{"port", 0}, {"procs", 0}});
  gort::Options opts;
  if (flags["procs"] > 0) opts.max_procs = static_cast<int>(flags["procs"]);
  return gort::run(
      [&] {
        auto ln = gort::net::listen("tcp", "127.0.0.1:" + std::to_string(flags["port"]));
        std::printf("LISTENING %s\n", ln.addr().c_str());
        std::fflush(stdout);
        for (;;) {
          gort::go(
              [](gort::net::Conn c) {
                std::vector<std::byte> buf(16384);
                try {
                  for (std::size_t n; (n = c.read(buf)) != 0;) c.write(std::span(buf.data(), n));
                } catch (const std::system_error&) {  // a reset peer ends its connection only
                }
              },
              ln.accept());
        }
      },
      opts);
}
