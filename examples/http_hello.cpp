// http_hello.cpp -- a small HTTP/1.1 server that answers "Hello, World!", with
// keep-alive and pipelining, on gort::net.  One goroutine per connection.
//
//   http_hello [address]       serve forever (default 127.0.0.1:0: any free port)
//   http_hello --self-test     serve, run a bounded client against it, print the result
//
// Try it:  ./http_hello 127.0.0.1:8080   then   curl -v http://127.0.0.1:8080/
//
// The request parser is incremental: bytes are fed as they arrive, in any split, and
// complete requests come out one at a time (several may sit in one read: pipelining;
// responses go back in order).  It reads the request line, the headers and a body of
// Content-Length bytes.  Anything malformed -- a bad request line, a header without
// a colon, a bad or conflicting Content-Length, Transfer-Encoding (not supported
// here), a line without CRLF, or over the size limits -- gets "400 Bad Request" and
// the connection is closed.  Idle or slow clients are dropped by a read deadline.
#include <gort/gort.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMaxLine = 8 * 1024;      // request line or one header line
constexpr std::size_t kMaxHeaders = 100;
constexpr std::size_t kMaxBody = 1024 * 1024;
constexpr auto kIdleTimeout = 30s;              // between requests, and for a slow one

// ------------------------------------------------------------------- the parser

struct Request {
  std::string method, target, version;  // "GET", "/index.html", "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;

  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
};

bool is_token_char(char c) {  // RFC 9110 tchar
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Does a comma-separated header value (Connection) contain `token`?
bool has_token(const std::string* value, std::string_view token) {
  if (value == nullptr) return false;
  std::string_view rest = *value;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    if (lower(trim(rest.substr(0, comma))) == token) return true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return false;
}

class RequestParser {
 public:
  enum class Status { kNeedMore, kRequest, kBad };

  void feed(std::string_view data) { buf_.append(data); }

  // Takes the next complete request out of what was fed, if there is one.
  Status next(Request* out) {
    for (;;) {
      if (state_ == State::kBody) {
        if (buf_.size() - pos_ < body_left_) return Status::kNeedMore;
        req_.body = buf_.substr(pos_, body_left_);
        pos_ += body_left_;
        compact();
        *out = std::move(req_);
        req_ = Request();
        state_ = State::kRequestLine;
        return Status::kRequest;
      }
      std::optional<std::string_view> line;
      if (Status s = take_line(&line); s != Status::kRequest) return s;
      const bool ok = state_ == State::kRequestLine ? request_line(*line) : header_line(*line);
      if (!ok) return Status::kBad;
    }
  }

 private:
  enum class State { kRequestLine, kHeaders, kBody };

  // One CRLF-terminated line, without its CRLF.
  Status take_line(std::optional<std::string_view>* line) {
    const std::size_t nl = buf_.find('\n', pos_);
    if (nl == std::string::npos) return buf_.size() - pos_ > kMaxLine ? Status::kBad : Status::kNeedMore;
    if (nl - pos_ > kMaxLine || nl == pos_ || buf_[nl - 1] != '\r') return Status::kBad;  // too long, bare LF
    *line = std::string_view(buf_).substr(pos_, nl - 1 - pos_);
    line_end_ = nl + 1;
    return Status::kRequest;
  }

  // "GET /path HTTP/1.1"
  bool request_line(std::string_view line) {
    if (line.empty()) return consume();  // an empty line before a request is allowed
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return false;
    const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                           version = line.substr(sp2 + 1);
    if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char)) return false;
    if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) { return c > ' ' && c < 127; }))
      return false;
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
    req_.method = method;
    req_.target = target;
    req_.version = version;
    state_ = State::kHeaders;
    return consume();
  }

  // "Name: value", or the empty line that ends the headers.
  bool header_line(std::string_view line) {
    if (line.empty()) {
      consume();
      return end_of_headers();
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view name = line.substr(0, colon);  // no space before the colon, no folding
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return false;
    const std::string_view value = trim(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\0'; })) return false;
    if (req_.headers.size() == kMaxHeaders) return false;
    req_.headers.emplace_back(lower(name), std::string(value));
    return consume();
  }

  bool end_of_headers() {
    if (req_.version == "HTTP/1.1" && req_.header("host") == nullptr) return false;  // required in 1.1
    if (req_.header("transfer-encoding") != nullptr) return false;                   // chunked: not here
    std::optional<std::size_t> length;
    for (const auto& [k, v] : req_.headers) {
      if (k != "content-length") continue;
      if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
      const std::size_t n = std::stoul(v);
      if (n > kMaxBody || (length && *length != n)) return false;  // too big, or two that disagree
      length = n;
    }
    const std::string* connection = req_.header("connection");
    req_.keep_alive = req_.version == "HTTP/1.1" ? !has_token(connection, "close") : has_token(connection, "keep-alive");
    body_left_ = length.value_or(0);
    state_ = State::kBody;
    return true;
  }

  bool consume() {
    pos_ = line_end_;
    compact();
    return true;
  }

  // Drops what was parsed once it is most of the buffer (amortised O(1) a byte).
  void compact() {
    if (pos_ > buf_.size() / 2) {
      buf_.erase(0, pos_);
      line_end_ -= pos_;
      pos_ = 0;
    }
  }

  std::string buf_;
  std::size_t pos_ = 0;       // first byte not parsed yet
  std::size_t line_end_ = 0;  // after the line take_line found
  State state_ = State::kRequestLine;
  Request req_;
  std::size_t body_left_ = 0;
};

// ------------------------------------------------------------------- the server

void write_string(gort::net::Conn& conn, std::string_view s) { conn.write(std::as_bytes(std::span(s))); }

void respond(gort::net::Conn& conn, const Request& req) {
  static constexpr std::string_view kBody = "Hello, World!";
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                     std::to_string(kBody.size()) + "\r\n";
  if (!req.keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  if (req.method != "HEAD") head += kBody;
  write_string(conn, head);
}

// Closing a socket that still has unread input makes the kernel send a reset, which
// can destroy the response we just wrote before the client reads it.  So, as Go's
// server does (closeWriteAndWait): send our end of stream, then drain what the client
// still sends, for a short while, and only then close.
void lingering_close(gort::net::Conn& conn) {
  conn.close_write();
  conn.set_read_deadline(gort::Clock::now() + 500ms);
  std::array<std::byte, 4096> buf;
  while (conn.read(buf) > 0) {
  }
}

void serve(std::shared_ptr<gort::net::Conn> conn) {
  try {
    RequestParser parser;
    std::array<std::byte, 4096> buf;
    for (;;) {
      Request req;
      switch (parser.next(&req)) {
        case RequestParser::Status::kRequest:
          respond(*conn, req);
          if (!req.keep_alive) return lingering_close(*conn);
          continue;
        case RequestParser::Status::kBad:
          write_string(*conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          return lingering_close(*conn);
        case RequestParser::Status::kNeedMore:
          conn->set_read_deadline(gort::Clock::now() + kIdleTimeout);
          const std::size_t n = conn->read(buf);
          if (n == 0) return;  // the client is done
          parser.feed(std::string_view(reinterpret_cast<const char*>(buf.data()), n));
      }
    }
  } catch (const std::system_error&) {
    // Timed out, reset by the client...: this connection only.
  }
}  // ~Conn closes it

// ---------------------------------------------------------------- the self-test

// Reads one response (status line, headers, Content-Length body; none for HEAD)
// from conn, using and refilling `pending`.  "" at end of stream.
std::string read_response(gort::net::Conn& conn, std::string& pending, bool head_request = false) {
  std::array<std::byte, 4096> buf;
  auto fill = [&] {
    const std::size_t n = conn.read(buf);
    pending.append(reinterpret_cast<const char*>(buf.data()), n);
    return n > 0;
  };
  std::size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return std::exchange(pending, "");
  std::size_t length = 0;
  if (std::size_t at = lower(pending.substr(0, end)).find("content-length: "); at != std::string::npos && !head_request)
    length = std::stoul(pending.substr(at + 16));
  while (pending.size() < end + 4 + length)
    if (!fill()) break;
  std::string response = pending.substr(0, end + 4 + length);
  pending.erase(0, response.size());
  return response;
}

bool at_eof(gort::net::Conn& conn) {
  std::array<std::byte, 64> buf;
  return conn.read(buf) == 0;
}

int self_test() {
  auto ln = gort::net::listen("tcp", "127.0.0.1:0");
  gort::go([&ln] { example::accept_loop(ln, serve); });
  const std::string ok =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nHello, World!";
  int passed = 0, total = 0;
  auto check = [&](bool cond, const char* what) {
    ++total;
    passed += cond;
    if (!cond) std::printf("FAILED: %s\n", what);
  };
  auto dial = [&] {
    auto c = gort::net::dial("tcp", ln.addr());
    c.set_deadline(gort::Clock::now() + 10s);  // a bug here must not hang the test
    return c;
  };

  {  // keep-alive: three requests on one connection, the second pipelined with a POST
    auto c = dial();
    std::string pending;
    write_string(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    check(read_response(c, pending) == ok, "simple GET");
    write_string(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    check(read_response(c, pending) == ok, "pipelined GET");
    check(read_response(c, pending) == ok, "pipelined POST with a body");
    write_string(c, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    check(read_response(c, pending, true) == ok.substr(0, ok.size() - 13), "HEAD has no body");
    write_string(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string closing = read_response(c, pending);
    check(closing.find("Connection: close\r\n") != std::string::npos, "Connection: close is answered in kind");
    check(at_eof(c), "and the connection is closed");
  }
  {  // one byte at a time
    auto c = dial();
    std::string pending;
    for (char ch : std::string_view("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")) {
      write_string(c, std::string_view(&ch, 1));
      gort::sleep(100us);
    }
    check(read_response(c, pending) == ok, "a request split into single bytes");
  }
  {  // HTTP/1.0 closes by default
    auto c = dial();
    std::string pending;
    write_string(c, "GET / HTTP/1.0\r\n\r\n");
    check(read_response(c, pending).find("Connection: close") != std::string::npos && at_eof(c), "HTTP/1.0 closes");
  }
  const char* malformed[] = {
      "garbage\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",  // no Host
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\nHost: x\n\n",  // bare LF
      "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
  };
  for (const char* req : malformed) {
    auto c = dial();
    std::string pending;
    write_string(c, req);
    const std::string r = read_response(c, pending);
    check(r.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0 && at_eof(c), req);
  }
  {  // a header line over the limit
    auto c = dial();
    std::string pending;
    write_string(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(kMaxLine + 10, 'a'));
    check(read_response(c, pending).rfind("HTTP/1.1 400", 0) == 0 && at_eof(c), "a line too long");
  }
  ln.close();
  std::printf("self-test: %d/%d checks passed\n", passed, total);
  return passed == total ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return example::server_main(argc, argv, "serving http", self_test,
                              [](gort::net::Listener& ln) { example::accept_loop(ln, serve); });
}
