// sleep.cpp -- Timer, Ticker, after and after_func (Go's time/sleep.go and tick.go).
//
// The user's timers are clients of the runtime's heaps (time.cpp): each is a `timer`
// armed with addtimer and disarmed with deltimer, whose function either sends the time
// on a channel of capacity one (Timer, Ticker, after) or starts a goroutine
// (after_func).  The heaps know nothing of channels or goroutines: they call the
// timer's function (fire_into_channel, fire_func) with their lock held, and that is
// the only code of this file that runs on the scheduler's paths.
//
// Go 1.23's rules (include/gort/time.hpp): once stop() or reset() returned, the
// channel never yields a value of the earlier schedule, and a timer that nobody
// references any more is disarmed and freed.  Rejected: Go 1.23's lazy channel
// timers, which join a heap only while someone is blocked on the channel -- gort gets
// the same observable rules by draining the channel in stop/reset and disarming the
// timer when the last handle to its channel goes away (the channel's release hook).
// deltimer waits for a delivery in flight (time.cpp), so a drain after it cannot miss
// a value that was on its way.
#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <gort/go.hpp>
#include <gort/panic.hpp>
#include <gort/time.hpp>

#include "chan.hpp"
#include "check.hpp"
#include "proc.hpp"
#include "time.hpp"

namespace gort::detail {

// The state behind Timer, Ticker, after() and after_func().
//
// Ownership.  Channel timers (Timer, Ticker, after): the timer lives as long as its
// channel -- the channel's release hook disarms and frees it -- and every Timer or
// Ticker object holds a handle to the channel.  So a timer nobody can observe any more
// is freed at once, armed or not (Go 1.23).  after_func timers have no channel: refs
// counts the Timer objects plus one while armed, and that armed reference is dropped
// by the goroutine the timer starts, by a stop() that disarms it, or at teardown.
//
// Locking.  `mu` serialises stop/reset on one timer (stop is deltimer then drain; reset
// is modtimer, which drains between the old schedule and the new one; neither may
// interleave with another).  Firing takes only the heap lock; once deltimer returned,
// or inside modtimer's callback, no fire is in progress, so stop/reset see the channel
// as the fire left it, and drain any value of the old schedule.  A reset of an armed
// timer takes no `mu` (modtimer_armed): its drain and move happen in one hold of the
// heap lock, and every step of a stop or reset under `mu` that it could fall between
// leaves the timer disarmed (deltimer ... addtimer), so it finds the timer not armed
// then and takes `mu` like the rest: the same orders as with `mu` (Go's Reset without
// a lock for a timer in the heap, time.go modtimer).
struct TimerCore {
  [[no_unique_address]] LiveCounted<LiveKind::kTimers> live;
  timer t;
  Lock mu;
  hchan* c = nullptr;           // not owned: the channel owns this core (release hook)
  std::function<void()> f;      // after_func
  std::atomic<int> refs{0};     // after_func only
};

namespace {

void core_unref(TimerCore* core) {
  if (core->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    deltimer(&core->t);  // the goroutine fire_func started may run before fire_func returned
    delete core;
  }
}

void require_runtime(const char* what) {
  if (!sched.running.load(std::memory_order_acquire) || sched.allp.empty())
    throw std::logic_error(std::string("gort::") + what + ": needs a running gort::run");
}

std::int64_t deadline_after(Clock::duration d) {
  std::int64_t now = nanotime();
  std::int64_t ns = saturated_ns(d);
  if (ns <= 0) return now;
  return now + std::min(ns, std::numeric_limits<std::int64_t>::max() - now);
}

// Under the heap lock: a channel timer fired.  A full channel (a Ticker's tick nobody
// took yet) drops the new value, as Go does.
void fire_into_channel(timer* t, std::int64_t now) {
  auto* core = static_cast<TimerCore*>(t->arg);
  Clock::time_point when{std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(now))};
  chansend(core->c, &when, /*block=*/false);
}

// Under the heap lock: an after_func timer fired.  f runs in its own goroutine, which
// inherits the armed reference.
void fire_func(timer* t, std::int64_t) {
  auto* core = static_cast<TimerCore*>(t->arg);
  go([core] {
    struct Unref {
      TimerCore* core;
      ~Unref() { core_unref(core); }
    } unref{core};
    core->f();
  });
}

void discard_func(timer* t) { core_unref(static_cast<TimerCore*>(t->arg)); }

// The channel of a channel timer went away: nobody can observe the timer any more.
void release_channel_timer(void* arg) {
  auto* core = static_cast<TimerCore*>(arg);
  deltimer(&core->t);  // after this, no fire touches the channel
  delete core;
}

// Drops a value of the old schedule; true if there was one.  Under core->mu: part of
// a stop or reset, which must not interleave with another.
bool drain(TimerCore* core) GORT_REQUIRES(core->mu) {
  if (core->c == nullptr) return false;
  Clock::time_point stale;
  return chanrecv(core->c, &stale, /*block=*/false) == ChanStatus::kOk;
}

// What stop/reset do between the old schedule and the new one (modtimer's `disarmed`).
struct Rearm {
  TimerCore* core;
  bool counts_refs;      // an after_func timer: armed again holds a reference
  bool drained = false;  // a value of the old schedule was dropped
};

// Runs inside modtimer, while rearm holds core->mu, or inside modtimer_armed under the
// timer's heap lock (see Locking above).
void rearm_disarmed(void* arg, bool was_armed) GORT_NO_THREAD_SAFETY_ANALYSIS {
  auto* r = static_cast<Rearm*>(arg);
  if (!was_armed && r->counts_refs) r->core->refs.fetch_add(1, std::memory_order_relaxed);
  r->drained = drain(r->core);
}

// Timer::reset and Ticker::reset: re-arms core's timer for `when` and `period`,
// dropping a value of the old schedule.  True if the old schedule was armed or had left
// a value.  An armed timer moves under its heap's lock alone (see Locking above).
bool rearm(TimerCore* core, std::int64_t when, std::int64_t period, bool counts_refs) {
  Rearm r{.core = core, .counts_refs = counts_refs};
  if (modtimer_armed(&core->t, when, period, rearm_disarmed, &r)) return true;
  core->mu.lock();
  const bool was_armed = modtimer(&core->t, when, period, rearm_disarmed, &r);
  core->mu.unlock();
  return was_armed || r.drained;
}

Chan<Clock::time_point> new_channel_timer(TimerCore*& core, Clock::duration d, std::int64_t period) {
  Chan<Clock::time_point> c = make_chan<Clock::time_point>(1);
  core = new TimerCore;
  core->c = ChanAccess::core(c);
  core->c->on_release = release_channel_timer;
  core->c->on_release_arg = core;
  core->c->is_timer = true;
  core->t.f = fire_into_channel;
  core->t.arg = core;
  core->t.period = period;
  addtimer(&core->t, deadline_after(d));
  return c;
}

}  // namespace
}  // namespace gort::detail

namespace gort {

using detail::TimerCore;

Timer::Timer(Clock::duration d) {
  detail::require_runtime("Timer");
  c_ = detail::new_channel_timer(core_, d, 0);
}

Timer::Timer(const Timer& other) noexcept : core_(other.core_), c_(other.c_) {
  if (core_ != nullptr && !c_) core_->refs.fetch_add(1, std::memory_order_relaxed);
}

Timer::Timer(Timer&& other) noexcept : core_(std::exchange(other.core_, nullptr)), c_(std::move(other.c_)) {}

Timer& Timer::operator=(Timer other) noexcept {
  std::swap(core_, other.core_);
  std::swap(c_, other.c_);
  return *this;
}

Timer::~Timer() {
  if (core_ != nullptr && !c_) detail::core_unref(core_);  // channel timers: c_ owns it
}

bool Timer::stop() {
  if (core_ == nullptr) return false;
  core_->mu.lock();
  bool was_active = detail::deltimer(&core_->t);
  if (was_active && !c_) detail::core_unref(core_);  // the armed reference (ours keeps it alive)
  if (detail::drain(core_)) was_active = true;
  core_->mu.unlock();
  return was_active;
}

bool Timer::reset(Clock::duration d) {
  if (core_ == nullptr) return false;
  detail::require_runtime("Timer::reset");
  return detail::rearm(core_, detail::deadline_after(d), 0, /*counts_refs=*/!c_);
}

RecvChan<Clock::time_point> after(Clock::duration d) {
  detail::require_runtime("after");
  TimerCore* core = nullptr;
  return detail::new_channel_timer(core, d, 0);
}

Timer after_func(Clock::duration d, std::function<void()> f) {
  detail::require_runtime("after_func");
  if (!f) throw std::invalid_argument("gort::after_func: empty function");
  auto* core = new TimerCore;
  core->f = std::move(f);
  core->refs.store(2, std::memory_order_relaxed);  // the Timer returned, and armed
  core->t.f = detail::fire_func;
  core->t.on_discard = detail::discard_func;
  core->t.arg = core;
  detail::addtimer(&core->t, detail::deadline_after(d));
  return Timer(core, Chan<Clock::time_point>{});
}

Ticker::Ticker(Clock::duration d) {
  if (d <= Clock::duration::zero()) panic("non-positive interval for NewTicker");
  detail::require_runtime("Ticker");
  c_ = detail::new_channel_timer(core_, d, detail::saturated_ns(d));
}

Ticker::Ticker(const Ticker& other) noexcept = default;
Ticker::Ticker(Ticker&& other) noexcept : core_(std::exchange(other.core_, nullptr)), c_(std::move(other.c_)) {}

Ticker& Ticker::operator=(Ticker other) noexcept {
  std::swap(core_, other.core_);
  std::swap(c_, other.c_);
  return *this;
}

Ticker::~Ticker() = default;  // c_ owns the core

void Ticker::stop() {
  if (core_ == nullptr) return;
  core_->mu.lock();
  detail::deltimer(&core_->t);
  detail::drain(core_);
  core_->mu.unlock();
}

void Ticker::reset(Clock::duration d) {
  if (d <= Clock::duration::zero()) panic("non-positive interval for Ticker.Reset");
  if (core_ == nullptr) return;
  detail::require_runtime("Ticker::reset");
  detail::rearm(core_, detail::deadline_after(d), detail::saturated_ns(d), /*counts_refs=*/false);
}

}  // namespace gort
