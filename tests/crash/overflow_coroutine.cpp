// A Coroutine on a plain thread that recurses without end: reported as a coroutine.
#include <gort/gort.hpp>

#include <cstdio>

static int recurse(int n) {
  volatile char pad[512];
  pad[0] = static_cast<char>(n);
  int r = n < 0 ? 0 : recurse(n + 1);
  return r + pad[0];
}

int main() {
  gort::Coroutine co([](gort::Coroutine::Yield&) { std::printf("%d\n", recurse(0)); });
  co.resume();
  return 0;
}
