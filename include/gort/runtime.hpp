// runtime.hpp -- starting the runtime: gort::run.
//
//   int main() {
//     return gort::run([] {
//       gort::go([] { std::puts("hello from a goroutine"); });
//       ...
//     });
//   }
//
// run() makes the calling thread the runtime's first M, runs `main` as the main
// goroutine (id 1) and returns when it returns: main's int result, or 0 for a void
// main.  Goroutines still alive then are abandoned, as in Go: they never run user code
// again, their stacks are unwound (destructors and gort::defer run) and everything is
// freed, so run() may be called again.  An abandoned goroutine blocked inside
// blocking() is waited for.  One run() at a time per process: a nested or concurrent
// call throws std::logic_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

namespace gort {

struct Options {
  int max_procs = 0;           // Ps (GOMAXPROCS). 0: $GORT_MAXPROCS, else hardware threads
  std::size_t stack_size = 0;  // per-goroutine stack reservation. 0: $GORT_STACK_SIZE, else 256 KiB
  // Milliseconds a goroutine may run without a scheduling point, while others wait for
  // its P, before the runtime warns on stderr (once per goroutine) with its frames.
  // 0: $GORT_HOGWARN (0 there turns the warning off), else 10 ms (off in ASan and TSan
  // builds, which run code several times slower).  < 0: off.
  int hog_warn = 0;
  // Randomized schedules, for testing concurrent code: the order in which runnable
  // goroutines run (which Go leaves unspecified), select's choice among ready cases,
  // and extra yields after go() and channel hand-offs are drawn from this seed, so
  // that code that works only by luck of order fails under some seed, and at
  // max_procs 1 the same seed replays the same schedule.  Go semantics are unchanged.
  // 0: $GORT_SCHEDULE_SEED, else off.  Crash reports and stats() show the seed.
  std::uint64_t schedule_seed = 0;
};

namespace detail {
int run_main(void (*fn)(void*, int*), void* ctx, const Options& opts);
}

template <class F>
int run(F&& main, Options opts = {}) {
  using Main = std::remove_reference_t<F>;
  using R = std::invoke_result_t<Main&>;
  static_assert(std::is_void_v<R> || std::is_convertible_v<R, int>,
                "gort::run: main must return void or something convertible to int");
  auto call = [](void* ctx, int* result) {
    Main& f = *static_cast<Main*>(ctx);
    if constexpr (std::is_void_v<R>) {
      std::invoke(f);
      *result = 0;
    } else {
      *result = static_cast<int>(std::invoke(f));
    }
  };
  return detail::run_main(call, const_cast<void*>(static_cast<const void*>(std::addressof(main))), opts);
}

int max_procs();  // Ps of the running runtime; 0 outside run()

}  // namespace gort
