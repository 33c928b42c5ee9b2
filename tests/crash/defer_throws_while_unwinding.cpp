// A deferred call that throws while a panic unwinds its goroutine.
#include <gort/gort.hpp>

int main() {
  gort::run([] {
    gort::defer d{[] { gort::panic("second"); }};
    gort::panic("first");
  });
  return 0;
}
