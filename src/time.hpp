// time.hpp -- runtime timers: per-P heaps run by the scheduler (design in time.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "lock_futex.hpp"

namespace gort::detail {

struct P;
struct timer;

// Called when the timer fires, with the lock of the heap it was in held: it must not
// block, and must not touch another timer heap (goready, a non-blocking channel send
// and newproc are fine).  For a periodic timer it runs after the timer was re-armed.
using TimerFn = void (*)(timer* t, std::int64_t now);

struct timer {
  std::int64_t when = 0;      // deadline, nanotime(); heap lock while in a heap
  std::int64_t period = 0;    // > 0: fires again every `period` ns
  TimerFn f = nullptr;
  void* arg = nullptr;
  // Teardown: called (without any heap lock) for an armed timer that run() discards.
  void (*on_discard)(timer* t) = nullptr;
  // The timer's state, both fields under the heap's lock:
  //   pp == null                 not armed: nobody touches it
  //   pp == p, index >= 0        armed: in p's heap at `index`
  //   pp == p, index == -1       being delivered (one-shot): check_timers took it off
  //                              p's heap and runs f with the lock held; pp is cleared
  //                              (release) once f returned
  // armed -> not armed: deltimer.  armed -> delivering -> not armed: check_timers.
  // not armed -> armed: addtimer.  A periodic timer stays armed while it fires.
  std::atomic<P*> pp{nullptr};
  std::int32_t index = -1;
};

// One slot of a heap: the timer and a copy of its `when`, so that a sift compares
// deadlines within the heap's own array (Go 1.23's timerWhen).  Reading `when` through
// the pointer cost a cache miss per child looked at: with 100,000 sleepers a sift
// walks ~8 levels of 4 children, and sift_down was the hottest function of the
// sleepers benchmark at 4 Ps (11% of its CPU time).
struct TimerHeapEntry {
  std::int64_t when;
  timer* t;
};

// A P's timers: a 4-ary min-heap on `when` (Go's choice: shallower than binary, so a
// sift touches fewer cache lines).
struct TimerHeap {
  Lock lock;
  std::vector<TimerHeapEntry> heap GORT_GUARDED_BY(lock);
  std::atomic<std::int64_t> when0{0};  // earliest deadline, 0 if none: read without the lock
};

// Arms t to fire at `when` (nanotime) on the caller's P, or another P when the caller
// has none.  t must not be armed.  Wakes the M sleeping for timers if t is earlier.
void addtimer(timer* t, std::int64_t when);
// Disarms t; true if it was armed (had not fired yet).  If t is being delivered on
// another M, waits until that delivery is done: once deltimer returned, no firing
// touches t or what its function uses.  So a timer's memory may be reused or freed
// only after deltimer (its fast path, for a timer that is not armed, is one load).
bool deltimer(timer* t);
// Called by modtimer once t's old schedule can no longer fire and before the new one
// can: with the heap's lock held when t was armed (so it may take a channel's lock,
// never another heap's), without it otherwise.  was_armed is modtimer's result.
using TimerDisarmedFn = void (*)(void* arg, bool was_armed);
// Go's modtimer: re-arms t for `when` and `period`, as deltimer + addtimer would, and
// returns whether it was armed.  An armed timer moves within its heap under one lock
// hold, and wakes no M when its deadline moved later (Timer::reset in a loop costs one
// heap lock, not two plus a wake-up).
bool modtimer(timer* t, std::int64_t when, std::int64_t period, TimerDisarmedFn disarmed = nullptr,
              void* arg = nullptr);
// modtimer's first half: if t is armed, moves it (the whole move under its heap's lock,
// so it is atomic against a fire, a deltimer and another move) and returns true; else
// does nothing and returns false.
bool modtimer_armed(timer* t, std::int64_t when, std::int64_t period, TimerDisarmedFn disarmed = nullptr,
                    void* arg = nullptr);

// Runs p's timers that are due at `now`; returns p's next deadline (0: none).
std::int64_t check_timers(P* p, std::int64_t now);
// Earliest deadline over every P (0: none); racy reads, for sleeping decisions.
std::int64_t earliest_timer();
bool any_timers();
// Teardown: every heap is emptied (armed timers are left disarmed).
void clear_timers(P* p);

// Parks the calling goroutine for ns nanoseconds, or sleeps the thread.
void time_sleep(std::int64_t ns);

}  // namespace gort::detail
