// server.hpp -- what gort's network servers for bench/net_compare.py share with their
// Go twins (bench/go/internal/harness/server.go): --port (0: any free one) on
// 127.0.0.1 and --procs (max_procs; 0: the default), "LISTENING <addr>" on stdout for
// the driver, then a goroutine per connection, forever.
#pragma once

#include <cstdio>
#include <string>
#include <system_error>

#include <gort/gort.hpp>

#include "harness.hpp"

namespace bench {

// Serves every connection with handle(conn) in a goroutine of its own.  A connection
// that fails (a peer reset) ends alone.
inline int serve_loopback(int argc, char** argv, void (*handle)(gort::net::Conn&)) {
  Flags flags(argc, argv, {{"port", 0}, {"procs", 0}});
  gort::Options opts;
  if (flags["procs"] > 0) opts.max_procs = static_cast<int>(flags["procs"]);
  return gort::run(
      [&] {
        auto ln = gort::net::listen("tcp", "127.0.0.1:" + std::to_string(flags["port"]));
        std::printf("LISTENING %s\n", ln.addr().c_str());
        std::fflush(stdout);
        for (;;) {
          gort::go(
              [handle](gort::net::Conn c) {
                try {
                  handle(c);
                } catch (const std::system_error&) {
                }
              },
              ln.accept());
        }
      },
      opts);
}

}  // namespace bench
