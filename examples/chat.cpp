// chat.cpp -- a line-based chat server: every message is fanned out to every client,
// through channels.  The Go way: no shared state under a lock, one goroutine (the
// hub) owns the set of clients, and everybody talks to it over channels.
//
//   chat [address]       serve forever (default 127.0.0.1:0: any free port)
//   chat --self-test     serve, connect three clients, check they all hear each other
//
// Try it:  ./chat 127.0.0.1:7001   then, in two shells,   nc 127.0.0.1 7001
// The first line you type is your name; every later line goes to everyone.
//
// Goroutines, for each client: the connection's reader (turns lines into hub events)
// and its writer (drains the client's outbox channel into the socket), plus the one
// hub.  A client too slow to keep up loses messages (its outbox is full) instead of
// holding everyone else up.
#include <gort/gort.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "serve.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kOutbox = 64;       // lines buffered for a client before we drop
constexpr std::size_t kMaxLine = 4096;

struct Event {
  enum Kind { kJoin, kLeave, kSay } kind;
  int client;
  std::string text;                       // kJoin: the name; kSay: the line
  gort::Chan<std::string> outbox;         // kJoin: where the client's lines go
};

// Owns the clients; ends when `events` is closed.
void hub(gort::RecvChan<Event> events) {
  std::map<int, std::pair<std::string, gort::Chan<std::string>>> clients;  // id -> name, outbox
  auto broadcast = [&](const std::string& line) {
    for (auto& [id, client] : clients) (void)client.second.try_send(line);  // full: dropped
  };
  while (std::optional<Event> ev = events.recv()) {
    switch (ev->kind) {
      case Event::kJoin:
        clients[ev->client] = {ev->text, ev->outbox};
        broadcast("* " + ev->text + " joined\n");
        break;
      case Event::kLeave: {
        auto it = clients.find(ev->client);
        const std::string name = it->second.first;
        it->second.second.close();  // its writer drains and ends
        clients.erase(it);
        broadcast("* " + name + " left\n");
        break;
      }
      case Event::kSay:
        broadcast(clients[ev->client].first + ": " + ev->text + "\n");
        break;
    }
  }
}

// Splits what a Conn reads into lines.
class LineReader {
 public:
  explicit LineReader(gort::net::Conn& conn) : conn_(conn) {}
  // The next line without its "\n" (or "\r\n"); nullopt at end of stream.
  std::optional<std::string> next() {
    for (;;) {
      if (std::size_t nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buf_.size() > kMaxLine) return std::nullopt;  // not a chat client
      std::array<std::byte, 1024> chunk;
      const std::size_t n = conn_.read(chunk);
      if (n == 0) return std::nullopt;
      buf_.append(reinterpret_cast<const char*>(chunk.data()), n);
    }
  }

 private:
  gort::net::Conn& conn_;
  std::string buf_;
};

void serve(std::shared_ptr<gort::net::Conn> conn, int id, gort::SendChan<Event> events) {
  auto outbox = gort::make_chan<std::string>(kOutbox);
  gort::WaitGroup writer;
  writer.go([conn, outbox]() mutable {
    bool broken = false;
    while (std::optional<std::string> line = outbox.recv())  // until the hub closes it
      if (!broken) try {
          conn->write(std::as_bytes(std::span(*line)));
        } catch (const std::system_error&) {
          broken = true;  // keep draining: the hub must never block on us
        }
  });
  try {
    LineReader lines(*conn);
    if (std::optional<std::string> name = lines.next()) {
      events.send(Event{Event::kJoin, id, *name, outbox});
      try {
        while (std::optional<std::string> line = lines.next()) events.send(Event{Event::kSay, id, *line, {}});
      } catch (const std::system_error&) {
        // reset by the client...: it leaves
      }
      events.send(Event{Event::kLeave, id, {}, {}});  // the hub closes the outbox
    } else {
      outbox.close();  // never joined
    }
  } catch (const std::system_error&) {
    outbox.close();  // failed before it joined
  }
  writer.wait();
}

// Serves clients until ln is closed, all through one hub.
void serve_chat(gort::net::Listener& ln) {
  auto events = gort::make_chan<Event>();
  gort::go(hub, events);
  static std::atomic<int> next_id{0};  // handlers start concurrently
  example::accept_loop(ln, [events](std::shared_ptr<gort::net::Conn> conn) { serve(conn, next_id++, events); });
}

// ---------------------------------------------------------------- the self-test

void say(gort::net::Conn& c, std::string line) {
  line += '\n';
  c.write(std::as_bytes(std::span(line)));
}

int self_test() {
  auto ln = gort::net::listen("tcp", "127.0.0.1:0");
  gort::go([&ln] { serve_chat(ln); });

  const std::vector<std::string> names = {"ann", "bob", "cyd"};
  struct Client {
    gort::net::Conn conn;
    LineReader lines{conn};
  };
  std::vector<std::unique_ptr<Client>> clients;
  for (const std::string& name : names) {  // join one by one: each hears its own join
    auto& c = *clients.emplace_back(new Client{gort::net::dial("tcp", ln.addr())});
    c.conn.set_deadline(gort::Clock::now() + 10s);  // a bug must not hang the test
    say(c.conn, name);
    for (;;) {
      std::optional<std::string> line = c.lines.next();
      if (!line) {
        std::printf("self-test: %s was disconnected\n", name.c_str());
        return 1;
      }
      if (*line == "* " + name + " joined") break;
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i) say(clients[i]->conn, "hello from " + names[i]);

  std::atomic<int> heard{0};  // each client must hear all three greetings
  gort::WaitGroup wg;
  for (std::size_t i = 0; i < names.size(); ++i)
    wg.go([&, i] {
      int got = 0;
      while (got < static_cast<int>(names.size()))
        if (std::optional<std::string> line = clients[i]->lines.next(); line && line->find(": hello from ") != std::string::npos)
          ++got;
        else if (!line)
          break;
      heard += got;
    });
  wg.wait();
  clients.clear();  // everyone leaves
  ln.close();
  std::printf("self-test: %d/%zu greetings heard\n", heard.load(), names.size() * names.size());
  return heard.load() == static_cast<int>(names.size() * names.size()) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return example::server_main(argc, argv, "chat", self_test, serve_chat); }
