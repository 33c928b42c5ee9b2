// once.hpp -- gort::Once (sync.Once): run an initialisation exactly once.
//
//   gort::Once once;
//   Config* config;
//
//   const Config& get_config() {
//     once.call([] { config = load_config(); });
//     return *config;
//   }
//
// call(f) runs f if no call() on this Once has run one yet; every other call() returns
// only after that f has returned, so what f wrote is visible to every caller (Go's
// guarantee: "no call to Do returns until the one call to f returns").  Concurrent
// callers wait for the first: they park ("sync.Once.Do" in dump_goroutines), or block
// if they are threads that are not goroutines.  Later calls cost one atomic load
// (inline).  f may take no arguments; its result is discarded.
//
// If f throws (gort::panic or any exception), the Once still counts as done -- Go's
// rule: f is not retried -- and the exception reaches the caller that ran f; the
// waiting callers return normally.  f must not call call() on the same Once: that
// deadlocks, as in Go.
//
// Unlike std::call_once, waiting never blocks the thread of a goroutine, and an
// exception does not re-arm the Once.  Likewise, an f unwound because gort::run
// ended while it was blocked counts as done.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>

namespace gort {

class Once {
 public:
  constexpr Once() noexcept = default;
  Once(const Once&) = delete;
  Once& operator=(const Once&) = delete;

  template <class F>
  void call(F&& f) {
    if (state_.load(std::memory_order_acquire) == kDone) [[likely]]
      return;
    if (!enter()) return;  // another caller ran f; it has returned
    struct Finish {        // also when f throws: a panicking f counts as done
      Once* once;
      ~Finish() { once->finish(); }
    } finish{this};
    std::invoke(std::forward<F>(f));
  }

 private:
  // state_: kIdle, then kRunning (plus kWaiter per parked caller), then kDone for
  // good.  Transitions: enter() CASes kIdle -> kRunning (that caller runs f) or adds a
  // waiter to kRunning; finish() exchanges to kDone and wakes the waiters counted.
  static constexpr std::uint32_t kIdle = 0;
  static constexpr std::uint32_t kRunning = 1;
  static constexpr std::uint32_t kDone = 2;
  static constexpr std::uint32_t kWaiter = 4;  // the bits from 2 up count parked callers

  bool enter();            // true: the caller must run f, then finish()
  void finish() noexcept;  // marks done, wakes the callers that wait

  std::atomic<std::uint32_t> state_{kIdle};  // atomics only
  std::atomic<std::uint32_t> sema_{0};       // waiting callers park here (sema.cpp)
};

}  // namespace gort
