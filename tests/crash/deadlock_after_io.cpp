// An I/O wait is not a deadlock; once it has ended (here by its deadline) and nothing
// else can run, it is -- even though an M is still blocked in the poller.
#include <gort/gort.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

int main() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return 1;
  gort::run([&] {
    gort::WaitGroup wg;
    wg.go([&] { (void)gort::net::wait_read(fds[0], gort::Clock::now() + 30ms); });  // times out
    wg.go([&] { (void)gort::net::wait_read(fds[0]); });  // the poller's M waits for this one...
    gort::sleep(60ms);
    ::write(fds[1], "x", 1);  // ...until it is readied
    wg.wait();
    std::fprintf(stderr, "I/O done\n");
    auto ch = gort::make_chan<int>();
    (void)ch.recv();  // now nothing can wake main
  });
  return 0;
}
