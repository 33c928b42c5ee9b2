// blocking_io.cpp -- calling blocking code from goroutines with gort::blocking().
//
// A goroutine that calls something that blocks its OS thread -- read(2) on a pipe,
// a database client, std::this_thread::sleep_for -- would hold its P, and with it
// every goroutine queued there.  Wrapped in gort::blocking(), the call gives the P
// up: the other goroutines keep running on another thread while it blocks.
//
// Here, with a single P (max_procs = 1), one goroutine blocks in read(2) on a pipe
// that a plain std::thread writes to 100 ms later, while another goroutine keeps
// ticking every millisecond.  No network: the "I/O" is a pipe.
#include <gort/gort.hpp>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;

namespace {

std::string read_all(int fd) {
  std::string data;
  char buf[256];
  for (;;) {
    ssize_t n = gort::blocking([&] { return ::read(fd, buf, sizeof buf); });  // the thread blocks, not the P
    if (n < 0 && errno == EINTR) continue;  // errno read right after the call
    if (n < 0) throw std::system_error(errno, std::generic_category(), "read");
    if (n == 0) return data;  // end of file: the writer closed its end
    data.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

int main() {
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  std::thread writer([fd = fds[1]] {  // an OS thread outside gort, like a library's worker
    std::this_thread::sleep_for(100ms);
    const char msg[] = "hello from a plain thread";
    if (::write(fd, msg, std::strlen(msg)) < 0) std::perror("write");
    ::close(fd);
  });

  int rc = gort::run(
      [read_fd = fds[0]] {
        std::atomic<bool> done{false};
        std::atomic<int> ticks{0};
        gort::WaitGroup wg;
        wg.go([&] {
          while (!done) {
            gort::sleep(1ms);
            ++ticks;
          }
        });
        std::string got = read_all(read_fd);
        done = true;
        wg.wait();
        std::printf("read \"%s\" from the pipe\n", got.c_str());
        std::printf("while read() blocked, the other goroutine kept running on the only P: %s\n",
                    ticks > 10 ? "yes" : "NO");
        std::printf("blocking calls made: %s\n", gort::stats().blocking_calls >= 2 ? "at least 2" : "fewer than 2");
      },
      gort::Options{.max_procs = 1});
  writer.join();
  ::close(fds[0]);
  return rc;
}
