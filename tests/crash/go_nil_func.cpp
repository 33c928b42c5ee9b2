// go of a nil function: Go's "fatal error: go of nil func value", raised by the
// goroutine that calls go, before a goroutine exists.  argv[1] names the kind of nil.
#include <gort/gort.hpp>

#include <cstdio>
#include <functional>
#include <string>

namespace {

struct Widget {
  void poke() {}
};

void start(const std::string& kind) {
  if (kind == "function-pointer") {
    void (*f)() = nullptr;
    gort::go(f);
  } else if (kind == "std-function") {
    std::function<void(int)> f;
    gort::go(f, 1);
  } else if (kind == "member-pointer") {
    void (Widget::*f)() = nullptr;
    Widget w;
    gort::go(f, &w);
  } else if (kind == "waitgroup") {
    gort::WaitGroup wg;
    wg.go(std::function<void()>());
    wg.wait();
  } else if (kind == "group") {
    gort::Group g;
    g.go(std::function<void()>());
    g.wait();
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string kind = argc > 1 ? argv[1] : "std-function";
  gort::run([&] {
    start(kind);
    gort::yield();
    std::printf("go of a nil function returned\n");
  });
  return 0;
}
