// go.hpp -- goroutines: gort::go, yield, goexit, goroutine_id, num_goroutine.
//
//   gort::go(f, args...);
//
// starts f(args...) in a new goroutine.  f and args are decay-copied into the new
// goroutine's own frame before go returns, as Go evaluates a go statement's arguments
// at the statement: pass a loop variable as an argument and each goroutine gets its
// own copy.  Use std::ref to pass a reference.  Callable from any goroutine and from any
// other thread while run() is active; outside it throws std::logic_error.  The call
// site is recorded for dump_goroutines and crash reports.  A nil f -- a null function
// or member pointer, an empty std::function, any f that converts to false -- is Go's
// "fatal error: go of nil func value" (exit status 2), raised by go itself, before a
// goroutine exists; WaitGroup::go and Group::go make the same check.
//
// A goroutine that has not started yet holds no stack; it gets one from a warm pool
// when it first runs (if none can be reserved: "fatal error: out of memory allocating
// a goroutine stack", exit status 2).  If the goroutine's record or frame cannot be
// allocated, go throws std::bad_alloc and no goroutine exists.  Scheduling is cooperative: a goroutine runs until it blocks,
// yields or returns.  An exception that escapes it is an unrecovered panic (panic.hpp).
#pragma once

#include <cstdint>
#include <utility>

#include "detail/spawn.hpp"

namespace gort {

// One overload per argument count (up to eight), each with a trailing defaulted
// CallSite: the call site is recorded by GORT_CALL_SITE_HERE evaluated at the
// caller.  (Not a class template with a deduction guide: `gort::go(f);` would then
// parse as the declaration of a variable f.)  CallSite is an aggregate of the
// runtime's, so no argument can be mistaken for it.
template <class F>
void go(F&& f,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f));
}
template <class F, class A1>
void go(F&& f, A1&& a1,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1));
}
template <class F, class A1, class A2>
void go(F&& f, A1&& a1, A2&& a2,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2));
}
template <class F, class A1, class A2, class A3>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3));
}
template <class F, class A1, class A2, class A3, class A4>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4));
}
template <class F, class A1, class A2, class A3, class A4, class A5>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4), std::forward<A5>(a5));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4), std::forward<A5>(a5), std::forward<A6>(a6));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6, class A7>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6, A7&& a7,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4), std::forward<A5>(a5), std::forward<A6>(a6), std::forward<A7>(a7));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6, class A7, class A8>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6, A7&& a7, A8&& a8,
        detail::CallSite site = GORT_CALL_SITE_HERE) {
  detail::spawn(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4), std::forward<A5>(a5), std::forward<A6>(a6), std::forward<A7>(a7), std::forward<A8>(a8));
}

void yield();                  // runtime.Gosched: let other goroutines run
[[noreturn]] void goexit();    // runtime.Goexit: unwinds this goroutine (defers run), then ends it
std::uint64_t goroutine_id();  // 1 for main; 0 on a thread that is not a goroutine
int num_goroutine();           // live goroutines, main included; 0 outside run()

}  // namespace gort
