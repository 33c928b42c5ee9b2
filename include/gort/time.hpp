// time.hpp -- gort's clock and sleeping.
//
//   gort::sleep(10ms);   // parks the goroutine; its thread runs other goroutines
//
// A sleeping goroutine holds no thread: timers live in per-P heaps that the scheduler
// runs itself, and an idle thread sleeps until the earliest one (no timer thread, no
// periodic tick).  A timer never fires early.  sleep() on a thread that is not a
// goroutine sleeps that thread.  Durations of zero or less return at once, as in Go.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace gort {

using Clock = std::chrono::steady_clock;

namespace detail {
void time_sleep(std::int64_t ns);

// Nanoseconds of d, saturated (a duration of years must not wrap into the past).
template <class Rep, class Period>
std::int64_t saturated_ns(std::chrono::duration<Rep, Period> d) {
  using Ns = std::chrono::duration<long double, std::nano>;
  long double ns = std::chrono::duration_cast<Ns>(d).count();
  if (ns >= static_cast<long double>(std::numeric_limits<std::int64_t>::max() / 2))
    return std::numeric_limits<std::int64_t>::max() / 2;
  if (ns <= 0) return ns < 0 ? -1 : 0;
  return static_cast<std::int64_t>(ns);
}
}  // namespace detail

template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  detail::time_sleep(detail::saturated_ns(d));
}

}  // namespace gort
