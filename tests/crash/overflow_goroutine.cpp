// A goroutine that recurses without end: "fatal error: stack overflow", exit 2.
#include <gort/gort.hpp>

#include <cstdio>

static int recurse(int n) {
  volatile char pad[512];
  pad[0] = static_cast<char>(n);
  int r = n < 0 ? 0 : recurse(n + 1);  // never 0: no tail call, pad read after
  return r + pad[0];
}

int main() {
  gort::run([] {
    gort::WaitGroup wg;
    wg.go([] { std::printf("%d\n", recurse(0)); });
    wg.wait();
  });
  return 0;
}
