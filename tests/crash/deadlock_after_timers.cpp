// A pending timer is not a deadlock; once it has fired and nothing else can run, it is.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

int main() {
  gort::run([] {
    (void)gort::after(30ms).recv();  // only a timer could wake main: not a deadlock
    std::fprintf(stderr, "timer fired\n");
    auto ch = gort::make_chan<int>();
    (void)ch.recv();  // now nothing can
  });
  return 0;
}
