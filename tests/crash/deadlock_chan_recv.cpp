// main receives on a channel nobody will ever send to.
#include <gort/gort.hpp>

int main() {
  gort::run([] {
    auto ch = gort::make_chan<int>();
    (void)ch.recv();
  });
  return 0;
}
