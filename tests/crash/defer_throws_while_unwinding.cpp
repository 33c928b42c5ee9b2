// Deferred calls that panic while a panic (or goexit) unwinds their goroutine: Go's
// report lists the chain of panics.  argv[1] picks the case.
#include <gort/gort.hpp>

#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
  const std::string kind = argc > 1 ? argv[1] : "main";
  gort::run([&] {
    if (kind == "main") {  // Go: defer func() { panic("panic pt2") }(); panic("hello")
      gort::defer d{[] { gort::panic("panic pt2"); }};
      gort::panic("hello");
    } else if (kind == "chain") {  // three panics in a goroutine, one not a gort::Panic
      gort::WaitGroup wg;
      wg.go([] {
        gort::defer third{[] { throw std::runtime_error("third"); }};
        gort::defer second{[] {
          gort::yield();  // the chain survives a switch (and a move to another thread)
          gort::panic("second");
        }};
        gort::panic("first");
      });
      wg.wait();
    } else if (kind == "goexit") {  // Go prints the panic alone: goexit is not a panic
      gort::WaitGroup wg;
      wg.go([] {
        gort::defer d{[] { gort::panic("during goexit"); }};
        gort::goexit();
      });
      wg.wait();
    } else if (kind == "recovered-inside") {  // a recover inside a defer keeps its own panic
      gort::defer d{[] {
        auto p = gort::recover([] { gort::panic("inner, recovered"); });
        gort::panic(std::string("after ") + p->what());
      }};
      gort::panic("outer");
    }
  });
  return 0;
}
