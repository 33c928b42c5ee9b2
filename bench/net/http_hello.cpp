// http_hello.cpp -- the gort twin of bench/go/http_hello: a minimal HTTP/1.1
// keep-alive server on gort::net, answering every request with the same 13-byte body.
// The parsing is the Go twin's, line for line: a request ends at the first blank line;
// the requests pipelined in one read are answered with one write.
//
//   http_hello --port=8080 --procs=2      (prints "LISTENING 127.0.0.1:<port>")
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "server.hpp"

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

void serve(gort::net::Conn& c) {
  std::vector<char> buf(8192);
  std::size_t have = 0;
  std::string out;
  out.reserve(8 * kResponse.size());
  for (;;) {
    if (have == buf.size()) return;  // a request larger than the buffer: not this benchmark's traffic
    std::size_t n = c.read(std::as_writable_bytes(std::span(buf.data() + have, buf.size() - have)));
    if (n == 0) return;
    have += n;
    out.clear();
    std::string_view pending(buf.data(), have);
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find("\r\n\r\n", start)) != std::string_view::npos;) {
      start = end + 4;
      out += kResponse;
    }
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
    if (!out.empty()) c.write(std::as_bytes(std::span(out.data(), out.size())));
  }
}

}  // namespace

int main(int argc, char** argv) { return bench::serve_loopback(argc, argv, serve); }
