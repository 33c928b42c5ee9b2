// A live program for gdb_test.cpp: goroutine 2 parked in a channel receive inside
// wait_for_value, goroutine 3 in WaitGroup::wait, then main stops at gort_gdb_stop,
// where the test's gdb runs the commands of src/gort-gdb.py.  Without gdb, it ends.
#include <gort/gort.hpp>

#include <cstdio>
#include <sstream>
#include <string>

extern "C" __attribute__((noinline)) void gort_gdb_stop() { asm volatile("" ::: "memory"); }

__attribute__((noinline)) int wait_for_value(gort::Chan<int>& ch) {
  int v = ch.recv().value_or(-1);
  asm volatile("" ::: "memory");  // not a tail call: this frame stays on the stack
  return v;
}

int main() {
  return gort::run(
      [] {
        auto ch = gort::make_chan<int>();
        gort::WaitGroup wg;
        wg.go([ch]() mutable { std::printf("received %d\n", wait_for_value(ch)); });
        gort::WaitGroup gate;
        gate.add(1);
        wg.go([&gate] { gate.wait(); });
        // Until both have parked: one yield is not enough in general (under a schedule
        // seed either may not have run yet, or may have been put behind main).
        for (;;) {
          std::ostringstream dump;
          gort::dump_goroutines(dump);
          const std::string d = dump.str();
          if (d.find("[chan receive") != std::string::npos && d.find("[sync.WaitGroup.Wait") != std::string::npos) break;
          gort::yield();
        }
        gort_gdb_stop();
        gate.done();
        ch.send(42);
        wg.wait();
      },
      gort::Options{.max_procs = 1});
}
