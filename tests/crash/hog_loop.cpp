// A goroutine that computes for 200 ms without a scheduling point while main waits
// for the only P: the hog warning (GORT_HOGWARN) names it and its loop; then the
// program ends normally and prints how many warnings stats() counted.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>

__attribute__((noinline)) static unsigned long spin_without_yielding(std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  unsigned long n = 0;
  while (std::chrono::steady_clock::now() < end) ++n;
  return n;
}

int main() {
  return gort::run(
      [] {
        gort::WaitGroup wg;
        wg.go([] { std::printf("spun: %d\n", spin_without_yielding(std::chrono::milliseconds(200)) > 0); });
        gort::yield();  // the hog runs; main waits in the run queue
        wg.wait();
        std::printf("hogs=%llu\n", static_cast<unsigned long long>(gort::stats().hogs));
      },
      gort::Options{.max_procs = 1});
}
