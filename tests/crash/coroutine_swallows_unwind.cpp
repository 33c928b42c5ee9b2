// A Coroutine body that swallows its unwind exception and keeps yielding.
#include <gort/gort.hpp>

int main() {
  gort::Coroutine co([](gort::Coroutine::Yield& yield) {
    for (;;) {
      try {
        yield();
      } catch (...) {
      }
    }
  });
  co.resume();
  return 0;  // destroying it cannot unwind it
}
