// Run with GORT_STACK_GUARD=canary: no guard page, so an overflow into the gap below
// the stack is caught by the canary check when the coroutine next switches away.
#include <gort/gort.hpp>

#include <cstdio>
#include <cstring>

static int recurse(int n, int limit) {
  char pad[512];
  std::memset(pad, n, sizeof pad);  // frames are written, as real locals are
  asm volatile("" : : "r"(pad) : "memory");
  int r = n >= limit ? 0 : recurse(n + 1, limit);
  return r + pad[511];
}

int main() {
  // 16 KiB of stack, about 24 KiB of frames: 8 KiB past the bottom, inside the
  // 64 KiB gap that separates stack slots, so nothing else is hit before the check.
  gort::Coroutine co(
      [](gort::Coroutine::Yield& yield) {
        std::printf("%d\n", recurse(0, 40));
        yield();
      },
      16 * 1024);
  co.resume();
  std::printf("the overflow went unnoticed\n");
  return 0;
}
