// main calls goexit: the others run to completion, then Go's "no goroutines" fatal.
#include <gort/gort.hpp>

#include <cstdio>

int main() {
  gort::run([] {
    gort::go([] {
      for (int i = 0; i < 100; ++i) gort::yield();
      std::fprintf(stderr, "the other goroutine finished\n");
    });
    gort::goexit();
  });
  return 0;
}
