// A deadlock while every descriptor is in use: still Go's "all goroutines are asleep
// - deadlock!", exit 2 (the check must not need a new descriptor to look at the
// process's threads).
#include <gort/gort.hpp>

#include "limits.hpp"

int main() {
  gort::run([] {
    crash_limits::limit_open_files(0);
    gort::make_chan<int>().recv();
  });
  return 0;
}
