// netpoll_test.cpp -- the network poller through gort::net::wait_read / wait_write:
// waiting for a descriptor parks the goroutine, never the thread.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = gort::Clock;

// A non-blocking pipe, closed at scope exit.
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::system_error(errno, std::system_category(), "pipe2");
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    ::close(r);
    ::close(w);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void put(char c = 'x') const { ASSERT_EQ(::write(w, &c, 1), 1); }
  // Reads one byte, waiting in the poller as long as it takes.
  char get() const {
    char c = 0;
    for (;;) {
      ssize_t n = ::read(r, &c, 1);
      if (n == 1) return c;
      if (n < 0 && errno != EAGAIN) {  // never spin on a descriptor that went bad
        ADD_FAILURE() << "read: " << std::strerror(errno);
        return 0;
      }
      EXPECT_EQ(n, -1) << "the writer closed the pipe";
      if (n == 0) return 0;
      if (auto err = gort::net::wait_read(r)) {
        ADD_FAILURE() << "wait_read: " << err.message();
        return 0;
      }
    }
  }
};

class NetpollP : public gort_test::ProcsTest {};

// With one P, the goroutine waiting for the pipe must not hold the thread: the writer
// runs on the same P.
TEST_P(NetpollP, AWaitingGoroutineHoldsNoThread) {
  run([] {
    Pipe p;
    auto got = gort::make_chan<char>(1);
    gort::go([&] { got.send(p.get()); });
    gort::sleep(10ms);  // the reader is parked in IO wait by now
    EXPECT_FALSE(got.try_recv().has_value());
    p.put('a');
    EXPECT_EQ(got.recv(), 'a');
  });
}

TEST_P(NetpollP, ReadinessBeforeTheWaitIsNotLost) {
  run([] {
    Pipe p;
    p.put('b');
    EXPECT_FALSE(gort::net::wait_read(p.r, Clock::now() + 5s));
    EXPECT_FALSE(gort::net::wait_write(p.w, Clock::now() + 5s));
    EXPECT_EQ(p.get(), 'b');
  });
}

TEST_P(NetpollP, DeadlinesTimeOut) {
  run([] {
    Pipe p;
    auto t0 = Clock::now();
    EXPECT_EQ(gort::net::wait_read(p.r, t0 + 30ms), std::errc::timed_out);
    EXPECT_GE(Clock::now() - t0, 30ms);
    // A deadline in the past fails at once.
    EXPECT_EQ(gort::net::wait_read(p.r, Clock::now() - 1s), std::errc::timed_out);
    // A full pipe: writing waits, and times out too.
    std::vector<char> junk(1 << 16, 'j');
    while (::write(p.w, junk.data(), junk.size()) > 0) {
    }
    EXPECT_EQ(gort::net::wait_write(p.w, Clock::now() + 20ms), std::errc::timed_out);
  });
}

TEST_P(NetpollP, ManyWaitersAllWake) {
  const int n = static_cast<int>(gort_test::scaled(500, 100));  // two fds a pipe
  run([n] {
    std::vector<std::unique_ptr<Pipe>> pipes;
    for (int i = 0; i < n; ++i) pipes.push_back(std::make_unique<Pipe>());
    gort::WaitGroup wg;
    std::atomic<int> woke{0};
    for (int i = 0; i < n; ++i)
      wg.go([&, i] {
        if (pipes[i]->get() == 'z') woke.fetch_add(1);
      });
    gort::sleep(20ms);
    for (int i = n; i-- > 0;) pipes[i]->put('z');
    wg.wait();
    EXPECT_EQ(woke.load(), n);
  });
}

// A reader and a writer on one socket at once (the second wait registers a dup).
TEST_P(NetpollP, AReaderAndAWriterOnOneDescriptor) {
  run([] {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    // Fill sv[0]'s send buffer so that a writer waits too.
    std::vector<char> junk(1 << 16, 'j');
    std::size_t filled = 0;
    for (ssize_t k; (k = ::write(sv[0], junk.data(), junk.size())) > 0;) filled += static_cast<std::size_t>(k);
    gort::WaitGroup wg;
    std::atomic<bool> read_ok{false}, write_ok{false};
    wg.go([&] { read_ok = !gort::net::wait_read(sv[0], Clock::now() + 10s); });
    wg.go([&] { write_ok = !gort::net::wait_write(sv[0], Clock::now() + 10s); });
    gort::sleep(20ms);
    EXPECT_FALSE(read_ok.load());
    EXPECT_FALSE(write_ok.load());
    ASSERT_EQ(::write(sv[1], "r", 1), 1);  // sv[0] readable
    std::vector<char> sink(1 << 16);
    std::size_t drained = 0;
    while (drained < filled) {  // sv[0] writable again
      ssize_t k = ::read(sv[1], sink.data(), sink.size());
      if (k > 0) drained += static_cast<std::size_t>(k);
      else (void)gort::net::wait_read(sv[1], Clock::now() + 1s);
    }
    wg.wait();
    EXPECT_TRUE(read_ok.load());
    EXPECT_TRUE(write_ok.load());
    ::close(sv[0]);
    ::close(sv[1]);
  });
}

TEST_P(NetpollP, AThreadWaitsToo) {
  run([] {
    Pipe p;
    std::atomic<bool> done{false};
    std::thread th([&] {
      EXPECT_FALSE(gort::net::wait_read(p.r, Clock::now() + 10s));
      done = true;
    });
    gort::sleep(20ms);
    p.put();
    gort::blocking([&] { th.join(); });
    EXPECT_TRUE(done.load());
  });
}

TEST_P(NetpollP, DumpShowsIOWait) {
  run([] {
    Pipe p;
    gort::WaitGroup wg;  // the pipe outlives its reader
    wg.go([&] { EXPECT_EQ(p.get(), 'x'); });
    EXPECT_TRUE(gort_test::await_parked("IO wait", 1));
    p.put();
    wg.wait();
  });
}

// The only goroutine waits for a descriptor that a thread outside writes later: not a
// deadlock.
TEST_P(NetpollP, WaitingForIOIsNotADeadlock) {
  Pipe p;
  std::thread writer([&] {
    std::this_thread::sleep_for(100ms);
    p.put('q');
  });
  run([&] { EXPECT_EQ(p.get(), 'q'); });
  writer.join();
}

// Goroutines that keep every P busy (yielding, so the Ms never idle) must not hold up a
// goroutine whose descriptor became ready: sysmon polls.
TEST_P(NetpollP, ReadyIOIsNotHeldUpByBusyPs) {
  run([] {
    Pipe p;
    std::atomic<bool> woke{false};
    gort::WaitGroup wg;
    wg.go([&] {
      (void)p.get();
      woke = true;
    });
    gort::sleep(10ms);
    for (int i = 0; i < 2 * gort::stats().procs; ++i)
      wg.go([&] {
        while (!woke.load(std::memory_order_relaxed)) gort::yield();
      });
    std::thread th([&] { p.put(); });
    th.join();  // the thread wrote; this goroutine, too, keeps its P busy until then
    while (!woke.load(std::memory_order_relaxed)) gort::yield();
    wg.wait();
  });
}

// Once the poller is in use the timer sleeper waits in it: a short timer armed beside a
// far one must still break that wait, while other Ms poll without blocking (a goroutine
// waits for I/O) and must not swallow the wake-up meant for the sleeper.
TEST_P(NetpollP, TimersWakeTheSleeperInThePoller) {
  const long rounds = gort_test::scaled(3000, 300);
  run([rounds] {
    Pipe p;
    gort::Timer far(std::chrono::hours(1));
    auto reader_done = gort::make_chan<int>(1);
    gort::go([&] {
      (void)p.get();
      reader_done.send(1);
    });
    gort::WaitGroup wg;
    for (int w = 0; w < 3; ++w)
      wg.go([&, w] {
        for (long i = 0; i < rounds; ++i) {
          gort::sleep(std::chrono::microseconds(5 + (i + w) % 40));
          if (i % 7 == 0) gort::yield();
        }
      });
    wg.wait();
    p.put();
    (void)reader_done.recv();
    EXPECT_TRUE(far.stop());
  });
}

// The reader's only waker writes and exits, and its M goes idle at once: meanwhile the
// M blocked in the poller has taken the reader out of epoll but not yet queued it.  The
// reader is then in no run queue and no longer parked: the deadlock check must still
// count it as waiting on the outside world (a false "all goroutines are asleep" here
// once killed every other run at 2 Ps).
TEST_P(NetpollP, AGoroutineThePollerIsDeliveringIsNotDeadlocked) {
  const long rounds = gort_test::scaled(3000, 300);
  run([rounds] {
    Pipe p;
    long got = 0;
    for (long i = 0; i < rounds; ++i) {
      gort::go([&] { p.put(); });
      got += p.get() == 'x';
    }
    EXPECT_EQ(got, rounds);
  });
}

TEST(Netpoll, OutsideRunTheThreadPolls) {
  Pipe p;
  auto t0 = Clock::now();
  EXPECT_EQ(gort::net::wait_read(p.r, t0 + 20ms), std::errc::timed_out);
  EXPECT_GE(Clock::now() - t0, 20ms);
  p.put();
  EXPECT_FALSE(gort::net::wait_read(p.r, Clock::now() + 1s));
}

GORT_INSTANTIATE_PROCS(NetpollP);

}  // namespace
