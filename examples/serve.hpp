// serve.hpp -- what the network examples share: Go's accept loop, and their main().
#pragma once

#include <gort/gort.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace example {

// Accepts connections until ln is closed, each handled by handle(conn) in a goroutine
// of its own (Go's `for { c, err := ln.Accept(); ...; go handle(c) }`).  The Conn is
// shared with the handler's goroutine and closed when the handler is done with it.
template <class Handler>
void accept_loop(gort::net::Listener& ln, Handler handle) {
  for (;;) {
    std::shared_ptr<gort::net::Conn> conn;
    try {
      conn = std::make_shared<gort::net::Conn>(ln.accept());
    } catch (const std::system_error& e) {
      if (e.code() == gort::net::errc::closed) return;  // shutting down
      throw;
    }
    gort::go(handle, conn);
  }
}

// main() of each server example:
//   prog [address]     listens on address (default 127.0.0.1:0: any free port), prints
//                      "<what> on <address>" and runs serve(listener) forever
//   prog --self-test   returns self_test(): serve and check a bounded client
template <class SelfTest, class Serve>
int server_main(int argc, char** argv, const char* what, SelfTest self_test, Serve serve) {
  const std::string arg = argc > 1 ? argv[1] : "127.0.0.1:0";
  return gort::run([&] {
    if (arg == "--self-test") return self_test();
    auto ln = gort::net::listen("tcp", arg);
    std::printf("%s on %s\n", what, ln.addr().c_str());
    std::fflush(stdout);
    serve(ln);
    return 0;
  });
}

}  // namespace example
