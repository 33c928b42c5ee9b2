// The runtime's first thread, sysmon, cannot be created (RLIMIT_AS leaves no room for
// its stack): Go's "runtime: failed to create new OS thread (have 1 already; ...)"
// and "fatal error: newosproc", exit 2.
#include <gort/gort.hpp>

#include "limits.hpp"

int main() {
  crash_limits::limit_address_space(2ull << 20);
  gort::run([] {});
  return 0;
}
