// runq.cpp -- the run queues: a P's lock-free local ring, and the global queue it
// overflows into; protocols in runq.hpp.
#include "runq.hpp"

#include <algorithm>

#include "fatal.hpp"
#include "os.hpp"
#include "proc.hpp"

namespace gort::detail {
namespace {
// How long a thief waits before taking a running P's runnext: the owner is most
// likely about to run it, and stealing it would move a producer/consumer pair onto two
// threads.  Go sleeps 3 us here ("a sync chan send/recv takes ~50 ns ... ~50x
// overshoot"), and the timer slack makes that ~75 us (measured here).  The length is the
// point: a spinning M that backs off this long is woken (wakep) far less often by a
// pair ping-ponging on the other P, and does not keep pulling that P's cache lines
// meanwhile.  A pause loop of ~7 us instead (reading runnext as it waited) made
// ping-pong and select at 2 Ps 1.4x slower (bench/compare.py, quiet machine).
constexpr std::uint32_t kRunnextStealBackoffUs = 3;
}  // namespace

G* RunQueue::put(G* gp, bool next) {
  if (next) {
    G* old = runnext_.load(std::memory_order_relaxed);
    if (sole_consumer_)
      runnext_.store(gp, std::memory_order_relaxed);
    else
      while (!runnext_.compare_exchange_weak(old, gp, std::memory_order_acq_rel)) {
      }
    if (old == nullptr) return nullptr;
    gp = old;  // the previous runnext goes to the ring
  }
  std::uint32_t h = head_.load(std::memory_order_acquire);
  std::uint32_t t = tail_.load(std::memory_order_relaxed);
  if (t - h < kSize) {
    slots_[t % kSize].store(gp, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return nullptr;
  }
  return gp;
}

std::uint32_t RunQueue::take_half_for_overflow(G** batch) {
  std::uint32_t h = head_.load(std::memory_order_acquire);
  std::uint32_t t = tail_.load(std::memory_order_relaxed);
  if (t - h != kSize) return 0;  // consumers made room meanwhile: put() again
  std::uint32_t n = kSize / 2;
  for (std::uint32_t i = 0; i < n; ++i) batch[i] = slots_[(h + i) % kSize].load(std::memory_order_relaxed);
  if (!head_.compare_exchange_strong(h, h + n, std::memory_order_release, std::memory_order_relaxed))
    return 0;
  return n;
}

G* RunQueue::get(bool* from_runnext, bool skip_runnext) {
  if (sole_consumer_) {
    if (!skip_runnext || head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_relaxed)) {
      if (G* next = runnext_.load(std::memory_order_relaxed)) {
        runnext_.store(nullptr, std::memory_order_relaxed);
        *from_runnext = true;
        return next;
      }
    }
    *from_runnext = false;
    std::uint32_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_.load(std::memory_order_relaxed)) return nullptr;
    G* gp = slots_[h % kSize].load(std::memory_order_relaxed);
    head_.store(h + 1, std::memory_order_relaxed);
    return gp;
  }
  if (!skip_runnext) {
    G* next = runnext_.load(std::memory_order_relaxed);
    while (next != nullptr) {
      if (runnext_.compare_exchange_weak(next, nullptr, std::memory_order_acq_rel)) {
        *from_runnext = true;
        return next;
      }
    }
  }
  *from_runnext = false;
  for (;;) {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    if (t == h) {
      if (skip_runnext) return get(from_runnext, false);  // the ring is empty: runnext after all
      return nullptr;
    }
    G* gp = slots_[h % kSize].load(std::memory_order_relaxed);
    if (head_.compare_exchange_weak(h, h + 1, std::memory_order_release, std::memory_order_relaxed))
      return gp;
  }
}

std::uint32_t RunQueue::grab(RunQueue& to, std::uint32_t batch_head, bool steal_runnext, bool owner_running) {
  for (;;) {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_acquire);
    std::uint32_t n = t - h;
    n -= n / 2;
    if (n == 0) {
      if (!steal_runnext) return 0;
      G* next = runnext_.load(std::memory_order_acquire);
      if (next == nullptr) return 0;
      if (owner_running) os_usleep(kRunnextStealBackoffUs);
      if (!runnext_.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) continue;
      to.slots_[batch_head % kSize].store(next, std::memory_order_relaxed);
      return 1;
    }
    if (n > kSize / 2) continue;  // h and t were read at different times: inconsistent
    for (std::uint32_t i = 0; i < n; ++i) {
      G* gp = slots_[(h + i) % kSize].load(std::memory_order_relaxed);
      to.slots_[(batch_head + i) % kSize].store(gp, std::memory_order_relaxed);
    }
    if (head_.compare_exchange_strong(h, h + n, std::memory_order_release, std::memory_order_relaxed))
      return n;
  }
}

G* RunQueue::steal_into(RunQueue& to, bool steal_runnext, bool owner_running) {
  std::uint32_t t = to.tail_.load(std::memory_order_relaxed);
  std::uint32_t n = grab(to, t, steal_runnext, owner_running);
  if (n == 0) return nullptr;
  --n;
  G* gp = to.slots_[(t + n) % kSize].load(std::memory_order_relaxed);
  if (n == 0) return gp;
  std::uint32_t h = to.head_.load(std::memory_order_acquire);
  if (t - h + n >= kSize) fatal("runqsteal: runq overflow");
  to.tail_.store(t + n, std::memory_order_release);
  return gp;
}

// ------------------------------------------------------------------ runqput

void runqput(P* p, G* gp, bool next) {
  for (;;) {
    G* left = p->runq.put(gp, next);
    if (left == nullptr) return;
    G* batch[RunQueue::kSize / 2];
    std::uint32_t n = p->runq.take_half_for_overflow(batch);
    if (n == 0) {  // consumers made room: try again
      gp = left;
      next = false;
      continue;
    }
    // The oldest half goes to the global queue.  The goroutine that did not fit is the
    // most recently readied one (or the runnext it displaced): unlike Go, keep it here,
    // where it runs soon, rather than behind everything in the global queue.
    GlobalBatch spill;
    for (std::uint32_t i = 0; i < n; ++i) spill.push(batch[i]);
    {
      LockGuard lk(sched.lock);
      globrunqputbatch(spill);
    }
    gp = left;
    next = false;
  }
}

// ------------------------------------------------------------ global run queue

namespace {
void add_size(std::int32_t n) GORT_REQUIRES(sched.lock) {
  sched.runq_size.store(sched.runq_size.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// The wake lane first, except every other call when both hold goroutines, so that a
// steady stream of wake-ups cannot starve the goroutines waiting for their first run.
G* globrunqpop(bool alternate) GORT_REQUIRES(sched.lock) {
  G* gp = nullptr;
  if (alternate && sched.wakeq.n > 0 && sched.runq.n > 0) {
    sched.runq_fresh_turn = !sched.runq_fresh_turn;
    if (sched.runq_fresh_turn) gp = sched.runq.pop();
  }
  if (gp == nullptr) gp = sched.wakeq.pop();
  if (gp == nullptr) gp = sched.runq.pop();
  if (gp != nullptr) add_size(-1);
  return gp;
}
}  // namespace

void globrunqput(G* gp) {
  GlobalBatch one;
  one.push(gp);
  globrunqputbatch(one);
}

void globrunqputbatch(GlobalBatch& batch) {
  add_size(batch.fresh.n + batch.woken.n);
  sched.runq.append(batch.fresh);
  sched.wakeq.append(batch.woken);
}

G* globrunqget(P* p, std::int32_t max) {
  std::int32_t size = sched.runq_size.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  std::int32_t n = std::min(size, size / sched.gomaxprocs + 1);
  if (max > 0) n = std::min(n, max);
  n = std::min<std::int32_t>(n, RunQueue::kSize / 2);
  G* gp = globrunqpop(true);
  for (--n; n > 0; --n) runqput(p, globrunqpop(false), false);
  return gp;
}

void globrunqclear() {
  sched.runq = {};
  sched.wakeq = {};
  sched.runq_size.store(0, std::memory_order_relaxed);
}

}  // namespace gort::detail
