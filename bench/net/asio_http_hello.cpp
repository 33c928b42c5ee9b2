// asio_http_hello.cpp -- the server a C++ programmer would otherwise write: the same
// HTTP hello as bench/net/http_hello.cpp (same parsing, same response) on Boost.Asio
// with C++20 coroutines, one io_context run by --procs threads.
//
//   asio_http_hello --port=8080 --procs=2    (prints "LISTENING 127.0.0.1:<port>")
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it
#include <vector>

#include <boost/asio.hpp>

#include "harness.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

asio::awaitable<void> serve(tcp::socket s) {
  std::vector<char> buf(8192);
  std::size_t have = 0;
  std::string out;
  out.reserve(8 * kResponse.size());
  boost::system::error_code ec;
  for (;;) {
    if (have == buf.size()) co_return;
    std::size_t n = co_await s.async_read_some(asio::buffer(buf.data() + have, buf.size() - have),
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec || n == 0) co_return;
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
    if (!out.empty()) {
      co_await asio::async_write(s, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;
    s.set_option(tcp::no_delay(true), ec);  // as Go's and gort's servers
    asio::co_spawn(acceptor.get_executor(), serve(std::move(s)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv, {{"port", 0}, {"procs", 0}});
  int threads = flags["procs"] > 0 ? static_cast<int>(flags["procs"]) : static_cast<int>(std::thread::hardware_concurrency());
  asio::io_context ctx(threads);
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(flags["port"])));
  std::printf("LISTENING 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::co_spawn(ctx, accept_loop(acceptor), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ctx.run(); });
  ctx.run();
  for (auto& t : pool) t.join();
}
