// time.cpp -- runtime timers: per-P heaps, run by the scheduler itself.
//
// A sleeping goroutine holds no thread, and there is no timer thread: each P keeps
// its timers in a 4-ary heap (Go's time.go), and whoever schedules on that P checks
// it -- find_runnable and the direct-switch path look at the heap's earliest deadline
// (one relaxed load; nanotime() only when the P has timers) and run what is due.  An M
// with nothing to run sleeps until the earliest deadline over all Ps, as the single
// "timer sleeper" (Go's M blocked in netpoll(delay)); a timer armed earlier than that
// wakes it.  A thief looking for work also runs the due timers of the P it visits, so
// a P whose goroutine never yields cannot hold its timers back for long (Go's
// stealWork).  sysmon retakes a P with timers from a long blocking() call.
//
// Locking: each heap has its own Lock.  A timer's `pp` says which heap it is in; it
// changes only under that heap's lock, so deltimer finds the right lock by reading
// pp, locking, and checking pp again.  A timer's function runs with its heap's lock
// held (it may ready a goroutine, send on a channel without blocking, start a
// goroutine): never the other way round, so the order is heap lock -> channel lock ->
// sched.lock, and nothing takes a heap lock while holding one of those.
//
// A delivery in flight is part of the timer's state (time.hpp, timer::pp): a one-shot
// timer leaves the heap when it fires but keeps pp until its function returned.  So a
// deltimer that races the firing M waits for it on the heap's lock, and when deltimer
// returns no delivery of the old schedule is still on its way: stop() and reset() never
// let a stale value through, and a channel or a timer is never freed under the M that
// is delivering into it.  The cost is one store after the function, and the rule that a
// timer's memory is reused only after deltimer (the sleeper's frame, after_func's core).
//
// The timer sleeper is always aimed at the earliest deadline: a timer armed earlier
// than its deadline wakes it, an M that needs an earlier wake-up replaces it, and an M
// that registers re-reads the heaps afterwards (the arming side publishes, then looks
// for a sleeper; the sleeper publishes, then looks at the heaps: one of the two sees
// the other).  Otherwise a short sleep could wait behind a timer due in an hour.
//
// Rejected: a timer thread (a context switch per expiry, and a thread that is never
// idle); a global heap (one lock for every sleep in the program).
//
// This file is Go's runtime/time.go: the heaps, and time_sleep (Go's timeSleep).  The
// user's Timer, Ticker, after and after_func (Go's time/sleep.go) are clients of
// addtimer and deltimer, in sleep.cpp.
#include "time.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <vector>

#include "check.hpp"
#include "fatal.hpp"
#include "proc.hpp"

namespace gort::detail {
namespace {

constexpr std::size_t kHeapArity = 4;  // Go's timer heap is 4-ary

// ---------------------------------------------------------------- the 4-ary heap
// All under the heap's lock.

void heap_set(TimerHeap& h, std::size_t i, TimerHeapEntry e) GORT_REQUIRES(h.lock) {
  h.heap[i] = e;
  e.t->index = static_cast<std::int32_t>(i);
}

void sift_up(TimerHeap& h, std::size_t i) GORT_REQUIRES(h.lock) {
  const TimerHeapEntry e = h.heap[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / kHeapArity;
    if (e.when >= h.heap[parent].when) break;
    heap_set(h, i, h.heap[parent]);
    i = parent;
  }
  heap_set(h, i, e);
}

void sift_down(TimerHeap& h, std::size_t i) GORT_REQUIRES(h.lock) {
  const TimerHeapEntry e = h.heap[i];
  const std::size_t n = h.heap.size();
  for (;;) {
    std::size_t first = i * kHeapArity + 1;
    if (first >= n) break;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < std::min(first + kHeapArity, n); ++c)
      if (h.heap[c].when < h.heap[best].when) best = c;
    if (h.heap[best].when >= e.when) break;
    heap_set(h, i, h.heap[best]);
    i = best;
  }
  heap_set(h, i, e);
}

void update_when0(TimerHeap& h) GORT_REQUIRES(h.lock) {
  h.when0.store(h.heap.empty() ? 0 : h.heap[0].when, std::memory_order_release);
}

// Returns whether t became the heap's earliest: only then does when0 change, and it is
// published with seq_cst (see wake_for_timer).
bool heap_push(TimerHeap& h, P* p, timer* t) GORT_REQUIRES(h.lock) {
  t->pp.store(p, std::memory_order_relaxed);
  h.heap.push_back({t->when, t});
  sift_up(h, h.heap.size() - 1);
  if (h.heap[0].t != t) return false;
  h.when0.store(t->when, std::memory_order_seq_cst);
  return true;
}

// Takes t out of the heap's array.  t->pp is left to the caller: null for a timer
// disarmed, still the heap's P while the timer's delivery is in flight (check_timers).
void heap_unlink(TimerHeap& h, timer* t) GORT_REQUIRES(h.lock) {
  GORT_CHECK(t->index >= 0 && static_cast<std::size_t>(t->index) < h.heap.size() && h.heap[t->index].t == t,
             "timer %p: index %d is not its slot in a heap of %zu", static_cast<void*>(t), t->index, h.heap.size());
  auto i = static_cast<std::size_t>(t->index);
  const TimerHeapEntry last = h.heap.back();
  h.heap.pop_back();
  if (last.t != t) {
    heap_set(h, i, last);
    sift_down(h, i);
    sift_up(h, static_cast<std::size_t>(last.t->index));
  }
  t->index = -1;
  update_when0(h);
}

void heap_remove(TimerHeap& h, timer* t) GORT_REQUIRES(h.lock) {
  heap_unlink(h, t);
  t->pp.store(nullptr, std::memory_order_relaxed);
}

P* home_for_new_timer() {
  M* m = getm();
  if (m != nullptr && m->p != nullptr) return m->p;
  if (m != nullptr && m->oldp != nullptr) return m->oldp;  // inside blocking()
  // A thread that is not an M: any P; the timer sleeper watches them all.
  static std::atomic<std::uint32_t> next{0};
  return sched.allp[next.fetch_add(1, std::memory_order_relaxed) % sched.allp.size()];
}

// A timer was armed for `when` and is now its heap's earliest: make sure some M will
// be awake by then.  Pairs with sleep_for_timers (proc.cpp), which publishes its
// deadline and then reads every heap's when0: heap_push's seq_cst store of when0 and the
// seq_cst load of timer_sleep_until here, against that M's seq_cst store and loads,
// mean that either it sees this timer or this sees it and wakes it (Dekker's pattern).
void wake_for_timer(std::int64_t when) {
  std::int64_t until = sched.timer_sleep_until.load(std::memory_order_seq_cst);
  if (until != 0) {
    if (when < until) {
      LockGuard lk(sched.lock);
      if (sched.timer_sleeper != nullptr) wake_timer_sleeper_locked(sched.timer_sleeper);
    }
    return;
  }
  // Nobody sleeps for timers.  The M arming it may be running a goroutine that does not
  // yield for a long time, and its P is the only one that looks at this heap while it
  // is busy: start an idle M (if a P is idle), which will sleep for the timer or steal
  // it when due (Go's wakeNetPoller).
  wakep();
}

}  // namespace

void addtimer(timer* t, std::int64_t when) {
  P* p = home_for_new_timer();
  GORT_CHECK(t->pp.load(std::memory_order_relaxed) == nullptr, "addtimer: timer %p is armed already (P %d, index %d)",
             static_cast<void*>(t), t->pp.load(std::memory_order_relaxed)->id, t->index);
  t->when = when;
  p->timers.lock.lock();
  GORT_CHECK(t->index == -1, "addtimer: timer %p is not armed but has index %d", static_cast<void*>(t), t->index);
  const bool earliest = heap_push(p->timers, p, t);
  p->timers.lock.unlock();
  if (earliest) wake_for_timer(when);
}

// A timer whose pp is set but whose index is -1 is being delivered: check_timers took it
// off the heap and runs its function with the heap's lock held, then clears pp.  So
// locking that heap is how deltimer waits for a delivery in flight, and a null pp read
// with acquire means every delivery of the old schedule has landed.
bool deltimer(timer* t) {
  for (;;) {
    P* p = t->pp.load(std::memory_order_acquire);
    if (p == nullptr) return false;
    p->timers.lock.lock();
    if (t->pp.load(std::memory_order_relaxed) == p) {
      if (t->index < 0) fatal("deltimer: a timer in delivery outside its heap's lock");
      heap_remove(p->timers, t);
      p->timers.lock.unlock();
      return true;
    }
    p->timers.lock.unlock();  // it fired (and the delivery finished), or moved, meanwhile
  }
}

bool modtimer_armed(timer* t, std::int64_t when, std::int64_t period, TimerDisarmedFn disarmed, void* arg) {
  if (P* p = t->pp.load(std::memory_order_acquire)) {
    M* m = getm();
    if (m != nullptr) ++m->locks;  // `disarmed` may take a channel lock: no switch (random_yield)
    TimerHeap& h = p->timers;
    h.lock.lock();
    if (t->pp.load(std::memory_order_relaxed) == p && t->index >= 0) {
      if (disarmed != nullptr) disarmed(arg, true);
      const std::int64_t old_when0 = h.heap[0].when;
      t->when = when;
      t->period = period;
      h.heap[static_cast<std::size_t>(t->index)].when = when;
      sift_up(h, static_cast<std::size_t>(t->index));
      sift_down(h, static_cast<std::size_t>(t->index));
      const std::int64_t new_when0 = h.heap[0].when;
      // Only an earlier deadline needs the Dekker pairing with the timer sleeper (see
      // wake_for_timer): an M that sleeps until the old, earlier one wakes and looks again.
      const bool earlier = new_when0 < old_when0;
      if (new_when0 != old_when0)
        h.when0.store(new_when0, earlier ? std::memory_order_seq_cst : std::memory_order_release);
      h.lock.unlock();
      if (m != nullptr) --m->locks;
      if (earlier) wake_for_timer(new_when0);
      return true;
    }
    h.lock.unlock();  // it fired or moved meanwhile
    if (m != nullptr) --m->locks;
  }
  return false;
}

bool modtimer(timer* t, std::int64_t when, std::int64_t period, TimerDisarmedFn disarmed, void* arg) {
  if (modtimer_armed(t, when, period, disarmed, arg)) return true;
  const bool was_armed = deltimer(t);
  if (disarmed != nullptr) disarmed(arg, was_armed);
  t->period = period;
  addtimer(t, when);
  return was_armed;
}

std::int64_t check_timers(P* p, std::int64_t now) {
  TimerHeap& h = p->timers;
  std::int64_t w = h.when0.load(std::memory_order_acquire);
  if (w == 0 || w > now) return w;
  M* m = getm();  // null on a thread that is not an M
  if (m != nullptr) ++m->locks;  // timer functions run under h.lock: no switch (random_yield)
  h.lock.lock();
  while (!h.heap.empty()) {
    timer* t = h.heap[0].t;
    if (h.heap[0].when > now) break;
    GORT_CHECK(t->pp.load(std::memory_order_relaxed) == p && t->index == 0,
               "check_timers: the head of P %d's heap, timer %p, has P %p and index %d", p->id, static_cast<void*>(t),
               static_cast<void*>(t->pp.load(std::memory_order_relaxed)), t->index);
    if (t->period > 0) {
      // Go's rule: the next tick is the first period boundary after now; ticks that
      // were missed are dropped, not delivered late in a burst.
      std::int64_t late = now - t->when;
      t->when += t->period * (1 + late / t->period);
      if (t->when < 0) t->when = std::numeric_limits<std::int64_t>::max();  // overflow
      h.heap[0].when = t->when;
      sift_down(h, 0);
      update_when0(h);
      t->f(t, now);
    } else {
      // Off the heap, but pp still names this P until the delivery is done: a
      // concurrent deltimer (stop, reset, the channel's release) then waits on this
      // lock instead of returning while the value is on its way.
      heap_unlink(h, t);
      t->f(t, now);
      t->pp.store(nullptr, std::memory_order_release);
    }
  }
  std::int64_t next = h.heap.empty() ? 0 : h.heap[0].when;
  h.lock.unlock();
  if (m != nullptr) --m->locks;
  return next;
}

std::int64_t earliest_timer() {
  std::int64_t best = 0;
  for (P* p : sched.allp) {
    std::int64_t w = p->timers.when0.load(std::memory_order_seq_cst);  // see wake_for_timer
    if (w != 0 && (best == 0 || w < best)) best = w;
  }
  return best;
}

bool any_timers() { return earliest_timer() != 0; }

void clear_timers(P* p) {
  std::vector<timer*> discarded;
  p->timers.lock.lock();
  for (const TimerHeapEntry& e : p->timers.heap) {
    timer* t = e.t;
    GORT_CHECK(t->pp.load(std::memory_order_relaxed) == p, "clear_timers: timer %p in P %d's heap has P %p",
               static_cast<void*>(t), p->id, static_cast<void*>(t->pp.load(std::memory_order_relaxed)));
    t->index = -1;
    t->pp.store(nullptr, std::memory_order_relaxed);
    if (t->on_discard != nullptr) discarded.push_back(t);
  }
  p->timers.heap.clear();
  update_when0(p->timers);
  p->timers.lock.unlock();
  for (timer* t : discarded) t->on_discard(t);
}

// ------------------------------------------------------------------- sleep

void time_sleep(std::int64_t ns) {
  if (ns <= 0) return;  // Go: Sleep(d <= 0) returns at once
  if (!can_gopark()) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
    return;
  }
  timer t;
  t.f = [](timer* self, std::int64_t) { goready(static_cast<G*>(self->arg)); };
  t.arg = getg();
  const std::int64_t now = nanotime();
  t.when = now + std::min(ns, std::numeric_limits<std::int64_t>::max() - now);
  // The timer is armed once the goroutine is parked, so it cannot fire before.
  gopark(
      [](G*, void* arg) {
        auto* tt = static_cast<timer*>(arg);
        addtimer(tt, tt->when);
        return true;
      },
      &t, WaitReason::kSleep, [](G*, void* arg) { return deltimer(static_cast<timer*>(arg)); }, &t);
  // Woken by the timer's goready, maybe before the M that fired it let go of `t`.
  deltimer(&t);
}

}  // namespace gort::detail
