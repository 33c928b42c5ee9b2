// time.hpp -- sleeping, timers and tickers (Go's time package, Go 1.23 semantics).
//
//   gort::sleep(10ms);                              // parks the goroutine
//   auto v = gort::after(50ms).recv();               // a channel that gets one value
//   gort::Timer t(1s);  ... t.stop(); t.reset(2s);   // t.channel() gets the value
//   gort::after_func(1s, [] { ... });                // runs f in its own goroutine
//   gort::Ticker tick(100ms);  for (auto when : tick.channel()) ...
//
// A sleeping goroutine holds no thread: timers live in per-P heaps that the scheduler
// runs itself, and an idle thread sleeps until the earliest one (no timer thread, no
// periodic tick).  A timer never fires early.  Durations of zero or less fire (or
// return, for sleep) at once, as in Go.  sleep() on a thread that is not a goroutine
// sleeps that thread.  Timers, tickers and after() need a running gort::run (they
// throw std::logic_error otherwise); their channels may be used from any thread.
//
// Go 1.23 rules: once stop() or reset() returns, the channel never yields a value of
// the earlier schedule; they return true while the timer is active -- armed, or fired
// with its value not yet received -- and false once the value was received or the
// timer was stopped.  A slow Ticker reader finds at most one pending tick (others are
// dropped).  A timer or ticker that nobody references any more -- no Timer object and
// no handle to its channel -- is disarmed and freed even if never stopped; an
// after_func timer stays armed until it fires or is stopped.
//
// Timer and Ticker are shared handles, like Chan: copies refer to the same timer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>

#include "chan.hpp"

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

struct TimerCore;  // src/sleep.cpp
}  // namespace detail

template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  detail::time_sleep(detail::saturated_ns(d));
}

// time.Timer: sends the time once on channel() when d has passed.
class Timer {
 public:
  explicit Timer(Clock::duration d);
  Timer(const Timer& other) noexcept;
  Timer(Timer&& other) noexcept;
  Timer& operator=(Timer other) noexcept;
  ~Timer();

  RecvChan<Clock::time_point> channel() const { return c_; }  // nil for after_func
  bool stop();                    // true if it stopped an active timer
  bool reset(Clock::duration d);  // re-arms; true if the timer was active

 private:
  friend Timer after_func(Clock::duration d, std::function<void()> f);
  Timer(detail::TimerCore* adopt, Chan<Clock::time_point> c) noexcept : core_(adopt), c_(std::move(c)) {}
  detail::TimerCore* core_ = nullptr;
  Chan<Clock::time_point> c_;  // keeps the channel, and through it the timer, alive
};

// time.After: a channel that receives the time once d has passed.
RecvChan<Clock::time_point> after(Clock::duration d);

// time.AfterFunc: runs f in its own goroutine once d has passed.
Timer after_func(Clock::duration d, std::function<void()> f);

// time.Ticker: sends the time on channel() every d, dropping ticks a slow reader
// misses.  d must be positive (panics "non-positive interval for NewTicker").
class Ticker {
 public:
  explicit Ticker(Clock::duration d);
  Ticker(const Ticker& other) noexcept;
  Ticker(Ticker&& other) noexcept;
  Ticker& operator=(Ticker other) noexcept;
  ~Ticker();

  RecvChan<Clock::time_point> channel() const { return c_; }
  void stop();                    // no more ticks; a pending one is dropped
  void reset(Clock::duration d);  // a new period from now; a pending tick is dropped

 private:
  detail::TimerCore* core_ = nullptr;
  Chan<Clock::time_point> c_;
};

}  // namespace gort
