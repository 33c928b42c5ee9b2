// An exception escaping a goroutine: Go's unrecovered-panic report, exit 2, with the
// frames of the throw point.
#include <gort/gort.hpp>

#include <stdexcept>

__attribute__((noinline)) void fail_deep(int depth) {
  if (depth == 0) throw std::runtime_error("boom");  // line 8: the throw point
  fail_deep(depth - 1);
}

int main() {
  gort::run([] {
    gort::WaitGroup wg;
    wg.go([] { fail_deep(3); });
    wg.wait();
  });
  return 0;
}
