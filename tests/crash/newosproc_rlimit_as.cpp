// A new M's thread cannot be created (its stack does not fit under RLIMIT_AS:
// pthread_create fails with EAGAIN): Go's "runtime: failed to create new OS thread"
// and "fatal error: newosproc", exit 2.
#include <gort/gort.hpp>

#include "limits.hpp"

int main() {
  gort::run(
      [] {
        // Less than a thread's stack (8 MiB by default), enough for the goroutines' stacks
        // (the first reservation holds 16) and the heap.
        crash_limits::limit_address_space(2ull << 20);
        for (int i = 0; i < 3; ++i)  // three goroutines that never block: each needs an M
          gort::go([] {
            for (;;) gort::yield();
          });
        gort::make_chan<int>().recv();  // main gives up its M too
      },
      gort::Options{.max_procs = 4});
  return 0;
}
