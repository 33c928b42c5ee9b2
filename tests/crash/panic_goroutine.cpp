// An exception escaping a goroutine: Go's unrecovered-panic report, exit 2.
#include <gort/gort.hpp>

#include <stdexcept>

int main() {
  gort::run([] {
    gort::WaitGroup wg;
    wg.go([] { throw std::runtime_error("boom"); });
    wg.wait();
  });
  return 0;
}
