// consumer.cpp -- the one program every consumer project builds: proves that the
// headers are found, the library links (with its dependencies) and the runtime runs.
#include <gort/gort.hpp>

#include <cstdio>

int main() {
  return gort::run([] {
    auto squares = gort::make_chan<int>();
    gort::WaitGroup wg;
    for (int i = 1; i <= 3; ++i) wg.go([squares](int n) { squares.send(n * n); }, i);
    gort::go([&wg, squares] {
      wg.wait();
      gort::SendChan<int>(squares).close();
    });
    int sum = 0;
    for (int v : squares) sum += v;
    std::printf("gort consumer: sum of squares %d\n", sum);  // 1 + 4 + 9
    return sum == 14 ? 0 : 1;
  });
}
