// main writes lines to stderr on one P, with a scheduling point between lines, while
// a goroutine on another P panics: the panic report must not be interleaved with
// main's lines (freezetheworld parks main at its next scheduling point).
#include <gort/gort.hpp>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

int main() {
  gort::run(
      [] {
        gort::go([] {
          gort::sleep(std::chrono::milliseconds(5));
          throw std::runtime_error("boom while main prints");
        });
        const char line[] = "main is printing\n";
        for (;;) {
          (void)!write(2, line, std::strlen(line));
          gort::yield();
        }
      },
      gort::Options{.max_procs = 2});
  return 0;
}
