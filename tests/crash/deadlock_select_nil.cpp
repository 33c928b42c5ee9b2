// main selects over nil channels only; another goroutine is blocked in a select with
// no cases at all.  Nothing can ever proceed.
#include <gort/gort.hpp>

int main() {
  gort::run([] {
    gort::go([] { gort::select(); });
    gort::Chan<int> a, b;
    gort::select(gort::on_recv(a), gort::on_send(b, 1));
  });
  return 0;
}
