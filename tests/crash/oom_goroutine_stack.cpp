// Goroutines pile up until no stack fits under RLIMIT_AS:
// "fatal error: out of memory allocating a goroutine stack", the limit, exit 2.
#include <gort/gort.hpp>

#include "limits.hpp"

int main() {
  gort::run(
      [] {
        // 64 MiB: about two hundred 256 KiB stacks (plus guards) fit, the next does not.
        crash_limits::limit_address_space(64ull << 20);
        auto never = gort::make_chan<int>();
        for (;;) {
          gort::go([never] { never.recv(); });
          gort::yield();  // let it run: its stack is reserved at its first run
        }
      },
      gort::Options{.max_procs = 1});
  return 0;
}
