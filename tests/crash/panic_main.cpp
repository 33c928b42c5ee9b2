// A panic in the main goroutine: its defers run first, then the report.
#include <gort/gort.hpp>

#include <cstdio>

int main() {
  gort::run([] {
    gort::defer d{[] { std::fprintf(stderr, "deferred ran\n"); }};
    gort::panic("kaboom");
  });
  std::printf("run returned\n");
  return 0;
}
