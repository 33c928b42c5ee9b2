// misuse.cpp -- code that must not compile, one mistake per MISUSE_* macro.  Each is
// compiled by tests/compile_fail/check.cmake, which requires exactly one error whose
// text names the mistake (see the list in tests/CMakeLists.txt).
#include <gort/gort.hpp>

void takes_ref(int&) {}

int main() {
  return gort::run([] {
    int x = 0;
    auto ch = gort::make_chan<int>(1);
    gort::SendChan<int> out = ch;
    gort::RecvChan<int> in = ch;
    gort::WaitGroup wg;
    gort::Group g;
    (void)x, (void)out, (void)in, (void)wg, (void)g;
#if defined(MISUSE_GO_REF_ARG)
    gort::go(takes_ref, x);
#elif defined(MISUSE_WAITGROUP_GO_REF_ARG)
    wg.go(takes_ref, x);
#elif defined(MISUSE_GROUP_GO_REF_ARG)
    g.go(takes_ref, x);
#elif defined(MISUSE_RECV_ON_SEND_CHAN)
    (void)out.recv();
#elif defined(MISUSE_SEND_ON_RECV_CHAN)
    in.send(1);
#elif defined(MISUSE_CLOSE_RECV_CHAN)
    in.close();
#else
#error "define one MISUSE_* macro"
#endif
  });
}
