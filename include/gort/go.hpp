// go.hpp -- goroutines: gort::go, yield, goexit, goroutine_id, num_goroutine.
//
//   gort::go(f, args...);
//
// starts f(args...) in a new goroutine.  f and args are decay-copied into the new
// goroutine's own frame before go returns, as Go evaluates a go statement's arguments
// at the statement: pass a loop variable as an argument and each goroutine gets its
// own copy.  Use std::ref to pass a reference.  Callable from any goroutine and from any
// other thread while run() is active; outside it throws std::logic_error.  The call
// site is recorded for dump_goroutines and crash reports.
//
// A goroutine that has not started yet holds no stack; it gets one from a warm pool
// when it first runs.  Scheduling is cooperative: a goroutine runs until it blocks,
// yields or returns.  An exception that escapes it is an unrecovered panic (panic.hpp).
#pragma once

#include <cstdint>
#include <utility>

#include "detail/spawn.hpp"

namespace gort {

// `go` is a class template so that the call site can be recorded after a parameter
// pack (a default argument there needs the pack to be known, which the deduction
// guide provides); use it as a function: gort::go(f, args...).
template <class F, class... Args>
struct go {
  explicit go(F&& f, Args&&... args, const char* file = __builtin_FILE(), const char* function = __builtin_FUNCTION(),
              unsigned line = __builtin_LINE()) {
    detail::spawn(detail::CallSite{file, function, line}, std::forward<F>(f), std::forward<Args>(args)...);
  }
};
template <class F, class... Args>
go(F&&, Args&&...) -> go<F, Args...>;

void yield();                  // runtime.Gosched: let other goroutines run
[[noreturn]] void goexit();    // runtime.Goexit: unwinds this goroutine (defers run), then ends it
std::uint64_t goroutine_id();  // 1 for main; 0 on a thread that is not a goroutine
int num_goroutine();           // live goroutines, main included; 0 outside run()

}  // namespace gort
