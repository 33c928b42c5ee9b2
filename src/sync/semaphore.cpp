// semaphore.cpp -- gort::Semaphore's slow paths: the FIFO of weighted waiters, and
// acquire(ctx).
//
// The semantics are golang.org/x/sync/semaphore.Weighted's, rule for rule (the
// version with the "ctx already done" check and the re-check after the wake-up):
//   * a capacity: free tokens never exceed size_; releasing more than is held
//     panics, and leaves the state as it was (x/sync's Release leaves cur negative);
//   * notifyWaiters: a grant serves the oldest waiters in order while their weights
//     fit and stops at the first that does not (no small request overtakes a large
//     one: a semaphore used as a read-write lock would starve its writer);
//   * a request larger than the capacity is never queued (it would stop every grant
//     at itself for good); it only waits for its context;
//   * a cancelled waiter leaves the queue, and if it was at the head the waiters
//     behind it that now fit are served at once (x/sync's TestAllocCancelDoesntStarve).
// The implementation differs: x/sync takes a sync.Mutex on every call; here the
// uncontended calls are one CAS on state_, and the lock is taken only when waiters
// exist or must be created.
//
// state_ = free count | kWaiters.  Protocol:
//   * kWaiters clear: the count is changed by CAS, by anyone (fast paths).
//   * Every slow path first takes the wait list's root lock, then sets kWaiters with
//     fetch_or (lock_count): from then on no fast path can change state_ (each CAS
//     expects a value with the bit clear), so the holder of the root lock reads and
//     writes the count alone.  Before unlocking it stores the new count, with
//     kWaiters set iff waiters for this semaphore remain queued.
//   * So kWaiters clear implies no waiter is queued; kWaiters set means "go through
//     the lock" and is normally exact, but may be stale after teardown unlinked a
//     waiter without touching the semaphore (it may be gone): the next slow path
//     recomputes it from the list.
//   * When the lock is released, the queue is empty or its head does not fit.  Every
//     path that adds tokens or removes a waiter ends in grant_and_unlock, which
//     restores this (it also repairs a head left behind by teardown).
// FIFO fairness falls out: with a waiter queued the bit is set, so no acquire --
// fast or slow, even one whose weight would fit -- gets past it.
//
// Waiters are SemaWaiters in the wait table (waittable.cpp), in one queue whatever
// their kind.  acquire(n) parks on its WaitNode: the granter unlinks it, sets `granted`
// and readies it after unlocking.  acquire(ctx, n) must wait for two things at once,
// a grant or ctx.done(); it does exactly what x/sync does: it queues with a `ready`
// channel of its own and selects over ready and ctx.done().  The granter closes
// `ready` while it still holds the root lock, so under that lock "unlinked",
// "granted" and "ready is closed" are one fact; a waiter woken by ctx.done() takes
// the lock and either leaves the queue (never granted) or finds itself granted and
// gives the tokens straight back, then lets the new head through.  Closing under the
// lock also keeps the channel alive: the waiter cannot return, and drop it, before
// the granter has let go of the lock -- except on the ready path, which needs no
// lock; so the granter closes through its own handle copy, never the waiter's.
//
// Teardown: a goroutine abandoned while parked is unlinked by the wait table's cancel
// hook (acquire) or unlinks itself when the select unwinds (acquire(ctx)); neither
// touches the semaphore unless the waiter had been granted, and then it gives the
// tokens back, so a Semaphore reused after run() keeps its count.  A goroutine that
// is already unwinding gets the neutral result: acquire returns without tokens,
// acquire(ctx) returns errc::canceled; the matching release of the former is not
// reported as an over-release while the runtime is abandoning goroutines (as Mutex
// lets its unlock pass).
//
// Rejected:
//   * x/sync's mutex + list in every call: two lock round trips per uncontended
//     acquire/release pair.
//   * sema.cpp's queues: their waiters are interchangeable and take one unit each; a
//     weighted head-of-line rule needs the waiters' weights.
//   * For acquire(ctx): a goroutine or timer per wait that watches ctx (leaks work
//     per call); a cancel hook registered in the Context (Context has no AfterFunc,
//     and a hook would run the semaphore's code on the canceller's thread); a
//     hand-made select that puts one Waiter both in this list and in done()'s
//     channel queue (no allocation, but it would reimplement selectgo against the
//     channel's internals).  The select over two channels costs one channel per
//     blocking wait -- x/sync pays the same -- and reuses select's proven wake-up
//     race handling, for goroutines and threads alike.
#include <gort/context.hpp>
#include <gort/panic.hpp>
#include <gort/select.hpp>
#include <gort/semaphore.hpp>

#include "../waittable.hpp"

namespace gort {

namespace {

[[noreturn]] void negative_weight() { panic("semaphore: negative weight"); }

// A queued acquire: tag is its weight.  ready: null for acquire(n), which parks on
// w; for acquire(ctx, n), the channel it selects on, closed by its granter.
struct SemaWaiter : detail::WaitNode {
  const Chan<Done>* ready = nullptr;
};

// Unlinks s unless a granter got to it first; true if it was granted.  Touches only
// the root (teardown: the semaphore may be gone unless s holds tokens of it).
bool leave_queue(detail::WaitRoot& root, SemaWaiter* s) {
  root.lock.lock();
  const bool granted = !s->queued;
  if (!granted) root.remove(s);
  root.lock.unlock();
  return granted;
}

// The error of a wait that ended without tokens: ctx's, or canceled when teardown
// cut short the wait of an unwinding goroutine before ctx was done.
std::error_code wait_error(const Context& ctx) {
  std::error_code err = ctx.err();
  return err ? err : make_error_code(errc::canceled);
}

}  // namespace

Semaphore::Semaphore(std::int64_t n) : state_(n), size_(n) {
  if (n < 0) panic("semaphore: negative count");
}

// The lock annotations are here rather than in semaphore.hpp, where WaitRoot is
// incomplete; both functions are private and used only below.
std::int64_t Semaphore::lock_count(detail::WaitRoot& root) GORT_ACQUIRE(root.lock) {
  root.lock.lock();
  return state_.fetch_or(kWaiters, std::memory_order_acq_rel) & kMaxCount;
}

// x/sync's notifyWaiters, then the unlock: grants from the head while the weights
// fit; unlinks under the lock, wakes acquire()s after it (acquire(ctx)s: see above).
void Semaphore::grant_and_unlock(detail::WaitRoot& root, std::int64_t count) GORT_RELEASE(root.lock) {
  detail::WaitNode* woken = nullptr;
  detail::WaitNode** tail = &woken;
  detail::WaitNode* s = root.first(&state_);
  while (s != nullptr && static_cast<std::int64_t>(s->tag) <= count) {
    detail::WaitNode* next = root.next(s);
    count -= static_cast<std::int64_t>(s->tag);
    root.remove(s);
    s->granted = true;
    if (const Chan<Done>* ready = static_cast<SemaWaiter*>(s)->ready) {
      Chan<Done> keep = *ready;  // s may return as soon as it is closed
      keep.close();
    } else {
      *tail = s;
      tail = &s->next;
    }
    s = next;
  }
  *tail = nullptr;
  state_.store(count | (s != nullptr ? kWaiters : 0), std::memory_order_release);
  root.lock.unlock();
  while (woken != nullptr) {
    detail::WaitNode* next = woken->next;  // read before ready(): the waiter may return at once
    woken->w.ready();
    woken = next;
  }
}

void Semaphore::acquire_slow(std::int64_t n) {
  if (n < 0) negative_weight();
  if (n > size_) {  // can never be granted: wait for ever, out of the queue
    detail::Waiter w;
    w.park(nullptr, nullptr, detail::WaitReason::kSemaphoreAcquire, nullptr, nullptr);
    return;  // only for a goroutine already unwinding at teardown (the neutral result)
  }
  detail::WaitRoot& root = detail::wait_root(&state_);
  const std::int64_t count = lock_count(root);
  if (root.first(&state_) == nullptr && count >= n) {
    state_.store(count - n, std::memory_order_release);  // nobody queued: the bit goes again
    root.lock.unlock();
    return;
  }
  SemaWaiter s;
  s.key = &state_;
  s.tag = static_cast<std::uint64_t>(n);
  try {
    root.push(&s);
    root.park(&s, detail::WaitReason::kSemaphoreAcquire);
  } catch (...) {
    if (s.granted) release(n);  // unwound after being granted: the tokens go on
    throw;
  }
}

std::error_code Semaphore::acquire(const Context& ctx, std::int64_t n) {
  if (n < 0) negative_weight();
  // Done before the call: fail even if n tokens are free (x/sync).
  if (std::error_code err = ctx.err()) return err;
  if (try_acquire(n)) return {};
  const RecvChan<Done> done = ctx.done();
  if (!done) {  // background(): never done
    acquire_slow(n);
    return {};
  }
  if (n > size_) {  // can never be granted: out of the queue, wait for ctx only
    (void)done.recv();
    return wait_error(ctx);
  }
  const Chan<Done> ready = make_chan<Done>();
  SemaWaiter s;
  s.key = &state_;
  s.tag = static_cast<std::uint64_t>(n);
  s.ready = &ready;
  detail::WaitRoot& root = detail::wait_root(&state_);
  std::int64_t count = lock_count(root);
  if (root.first(&state_) == nullptr && count >= n) {  // freed meanwhile
    state_.store(count - n, std::memory_order_release);
    root.lock.unlock();
    return {};
  }
  root.push(&s);  // state_ keeps count | kWaiters
  root.lock.unlock();

  std::size_t fired;
  try {
    fired = select(on_recv(done), on_recv(ready));
  } catch (...) {  // abandoned at teardown
    if (leave_queue(root, &s)) release(n);
    throw;
  }
  switch (fired) {
    case 1:  // granted; but if ctx is done by now, the caller must not go on (x/sync)
      if (std::error_code err = ctx.err()) {
        release(n);
        return err;
      }
      return {};
    case 0:  // ctx done: leave the queue, or give back a grant that raced with it
      count = lock_count(root);
      if (s.queued) root.remove(&s); else count += n;
      grant_and_unlock(root, count);  // a head that left may let the next ones in
      return ctx.err();
    default:  // teardown cancelled the select of a goroutine already unwinding
      if (leave_queue(root, &s)) release(n);
      return wait_error(ctx);
  }
}

bool Semaphore::try_acquire_slow(std::int64_t n) {
  if (n < 0) negative_weight();
  detail::WaitRoot& root = detail::wait_root(&state_);
  const std::int64_t count = lock_count(root);
  const bool queued = root.first(&state_) != nullptr;
  const bool ok = !queued && count >= n;
  state_.store((ok ? count - n : count) | (queued ? kWaiters : 0), std::memory_order_release);
  root.lock.unlock();
  return ok;
}

void Semaphore::release_slow(std::int64_t n) {
  if (n < 0) negative_weight();
  detail::WaitRoot& root = detail::wait_root(&state_);
  const std::int64_t count = lock_count(root);
  if (n > size_ - count) {
    if (!detail::sched.abandoning.load(std::memory_order_acquire)) {
      grant_and_unlock(root, count);  // unchanged: stores the state back as it was
      panic("semaphore: released more than held");
    }
    n = size_ - count;  // teardown: the release matching an acquire it cancelled
  }
  grant_and_unlock(root, count + n);
}

}  // namespace gort
