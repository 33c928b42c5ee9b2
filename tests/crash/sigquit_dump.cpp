// Run with GORT_SIGQUIT=1: SIGQUIT prints every goroutine and exits 2, as Go does.
#include <gort/gort.hpp>

#include <csignal>
#include <cstdio>
#include <thread>

int main() {
  gort::run([] {
    auto never = gort::make_chan<int>();
    gort::go([never]() mutable { (void)never.recv(); });
    gort::yield();
    gort::blocking([] {  // raised inside: main is in [syscall] when sysmon dumps
      std::raise(SIGQUIT);
      std::this_thread::sleep_for(std::chrono::seconds(5));
    });
    std::printf("SIGQUIT did not end the process\n");
  });
  return 0;
}
