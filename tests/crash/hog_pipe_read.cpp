// A goroutine blocked in a raw read() on a pipe, outside gort::blocking(), holds the
// only P while main waits: the hog warning shows the read in its frames.  A thread
// writes to the pipe after 300 ms and the program ends normally.
#include <gort/gort.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

int main() {
  int fds[2];
  if (pipe(fds) != 0) return 1;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    char c = 'x';
    (void)!write(fds[1], &c, 1);
  });
  int r = gort::run(
      [&] {
        gort::WaitGroup wg;
        wg.go([&] {
          char c = 0;
          ssize_t n = read(fds[0], &c, 1);  // holds the thread and its P
          std::printf("read %zd\n", n);
        });
        gort::yield();
        wg.wait();
      },
      gort::Options{.max_procs = 1});
  writer.join();
  return r;
}
