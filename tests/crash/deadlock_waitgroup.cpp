// Every goroutine asleep: main on a WaitGroup nobody will finish, another goroutine
// on a second one.
#include <gort/gort.hpp>

int main() {
  gort::run([] {
    gort::WaitGroup never, other;
    never.add(1);
    other.add(1);
    gort::go([&] { other.wait(); });
    never.wait();
  });
  return 0;
}
