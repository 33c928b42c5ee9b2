// The fd limit is reached by the first network call's own socket, so the poller's
// epoll instance cannot be created: Go's "runtime: epollcreate failed with 24" and
// "fatal error: runtime: netpollinit failed", exit 2.
#include <gort/gort.hpp>

#include "limits.hpp"

int main() {
  gort::run([] {
    crash_limits::limit_open_files(1);  // room for the listener's socket, not for epoll's
    gort::net::Listener ln = gort::net::listen("tcp4", "127.0.0.1:0");
  });
  return 0;
}
