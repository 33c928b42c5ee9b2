// netpoll.cpp -- the network poller (Go's netpoll.go): a goroutine waiting for a file
// descriptor parks; an M that has nothing to run collects ready descriptors from the
// OS and makes their waiters runnable, in one batch.
//
// Each descriptor is registered once, edge-triggered for both directions, for its
// whole life (netpoll_epoll.cpp): no system call per wait.  Readiness is banked in the
// PollDesc's two wait semaphores (rg, wg; their states are written next to the struct
// in netpoll.hpp): an event that arrives while nobody waits leaves kPdReady, and the
// next wait consumes it without parking.  A party that waits publishes kPdWait, then
// checks for close and deadline again, then commits its Waiter in the park's unlock
// function with one CAS; any waker (an event, a deadline, close) that swaps the state
// first makes that CAS fail and the park is cancelled.  So no wake-up is lost and
// nobody ever holds a lock across a park.
//
// Who polls (proc.cpp, sysmon.cpp):
//   - the timer sleeper: an M with nothing to run blocks here until the earliest timer,
//     instead of on its futex, once any descriptor was registered (timers and I/O wake
//     the same M; wake_timer_sleeper breaks the wait with netpoll_break);
//   - an M looking for work polls without blocking before it steals, if no M is
//     blocked here (netpoll_lastpoll != 0);
//   - sysmon, when nobody polled for kSysmonPollEvery, so that ready I/O is not held
//     up by goroutines that keep every P busy.
// What they find goes to run queues as a batch (injectglist), not one wake-up each.
//
// Deadlines run on the runtime's timers.  A deadline's timer function runs with its
// heap's lock held, so it takes no PollDesc lock: it raises the expired flag and
// unblocks with atomics only.  Setters hold pd->lock and disarm the old timer first
// (deltimer waits for a firing in flight), so a stale deadline never fires late.
//
// Lifetime.  PollDescs are never freed: a late event may name a descriptor closed a
// moment ago, and must find a PollDesc there.  Its tag holds the descriptor's index
// in the pool and its generation, bumped at release; an event whose generation does
// not match is dropped, so it never wakes the next user of that PollDesc (or of that
// fd number).
//
// Rejected: a poller thread (a context switch per event, and a thread that never
// idles: Go polls from its idle Ms for the same reasons); level-triggered
// registration (every wait would re-arm or re-report a descriptor); registering per
// wait with EPOLLONESHOT (two system calls per wait).
#include "netpoll.hpp"

#include <cerrno>
#include <mutex>
#include <new>

#include "fatal.hpp"
#include "proc.hpp"
#include "sysmon.hpp"

namespace gort::detail {

std::atomic<std::int64_t> netpoll_lastpoll{0};

namespace {

constexpr std::uintptr_t kPdNil = 0;
constexpr std::uintptr_t kPdReady = 1;
constexpr std::uintptr_t kPdWait = 2;

// ------------------------------------------------------------------------ the pool
// PollDescs live in chunks reached through a fixed table, so that netpoll finds one
// from its index without a lock.

constexpr std::uint32_t kChunkBits = 8;
constexpr std::uint32_t kChunkSize = 1u << kChunkBits;   // 256 PollDescs a chunk
constexpr std::uint32_t kMaxChunks = 1u << 16;           // 16M descriptors at once

std::atomic<PollDesc*> g_chunks[kMaxChunks];
Lock g_pool_lock;
PollDesc* g_free GORT_GUARDED_BY(g_pool_lock) = nullptr;
std::uint32_t g_nchunks GORT_GUARDED_BY(g_pool_lock) = 0;
std::atomic<bool> g_inited{false};
std::once_flag g_init_once;
std::atomic<std::int32_t> g_waiters{0};

std::uint64_t tag_of(const PollDesc* pd) {
  return (std::uint64_t{pd->index} << 32) | pd->gen.load(std::memory_order_relaxed);
}

PollDesc* from_tag(std::uint64_t tag) {
  const auto index = static_cast<std::uint32_t>(tag >> 32);
  PollDesc* chunk = g_chunks[index >> kChunkBits].load(std::memory_order_acquire);
  if (chunk == nullptr) return nullptr;
  PollDesc* pd = &chunk[index & (kChunkSize - 1)];
  if (pd->gen.load(std::memory_order_acquire) != static_cast<std::uint32_t>(tag)) return nullptr;  // stale
  return pd;
}

PollDesc* pool_get() {
  LockGuard lk(g_pool_lock);
  if (g_free == nullptr) {
    if (g_nchunks == kMaxChunks) return nullptr;
    auto* chunk = new PollDesc[kChunkSize];
    for (std::uint32_t i = kChunkSize; i-- > 0;) {
      chunk[i].index = g_nchunks * kChunkSize + i;
      chunk[i].link = g_free;
      g_free = &chunk[i];
    }
    g_chunks[g_nchunks++].store(chunk, std::memory_order_release);
  }
  PollDesc* pd = g_free;
  g_free = pd->link;
  pd->link = nullptr;
  return pd;
}

void pool_put(PollDesc* pd) {
  LockGuard lk(g_pool_lock);
  pd->link = g_free;
  g_free = pd;
}

// ------------------------------------------------------------ wait semaphores

std::atomic<std::uintptr_t>& sema_of(PollDesc* pd, int mode) { return mode == kPollRead ? pd->rg : pd->wg; }

// Go's netpollunblock: takes the semaphore's waiter, if one is parked, leaving
// kPdReady (ioready) or kPdNil; the caller then owns the Waiter and readies it.
// A goroutine the poller takes stays counted in g_waiters until the batch it joins is
// in a run queue (netpoll_injected): between epoll_wait and the injection it is in no
// queue, and the M that polled may still count as idle, so the deadlock check must
// still see it as waiting on the outside world.
Waiter* unblock(PollDesc* pd, int mode, bool ioready, bool keep_counted = false) {
  std::atomic<std::uintptr_t>& gpp = sema_of(pd, mode);
  std::uintptr_t old = gpp.load(std::memory_order_seq_cst);
  for (;;) {
    if (old == kPdReady) return nullptr;
    // A deadline or close leaves no mark: the waiter checks for those itself before
    // it parks.
    if (old == kPdNil && !ioready) return nullptr;
    const std::uintptr_t next = ioready ? kPdReady : kPdNil;
    if (gpp.compare_exchange_weak(old, next, std::memory_order_seq_cst)) break;
  }
  if (old == kPdNil || old == kPdWait) return nullptr;
  if (!keep_counted) g_waiters.fetch_sub(1, std::memory_order_seq_cst);
  return reinterpret_cast<Waiter*>(old);
}

struct Parking {
  std::atomic<std::uintptr_t>* gpp;
  Waiter* w;
};

// The park's unlock function (Go's netpollblockcommit): publish the Waiter, unless a
// waker swapped kPdWait away meanwhile (then the park is cancelled).
bool commit_park(G*, void* arg) {
  // Everything is read from the parking party's frame before the CAS: once the Waiter
  // is published a waker may ready it, and the party may return and reuse its frame.
  auto* pk = static_cast<Parking*>(arg);
  std::atomic<std::uintptr_t>* gpp = pk->gpp;
  Waiter* w = pk->w;
  const bool thread = w->g == nullptr;
  // Counted before it is published, so that a waker's decrement never comes first.
  if (g_waiters.fetch_add(1, std::memory_order_seq_cst) == 0) sysmon_notify_work();  // it polls when Ms are busy
  std::uintptr_t expected = kPdWait;
  if (!gpp->compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(w), std::memory_order_seq_cst)) {
    g_waiters.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  // A thread's wait has no M of its own that will poll once idle: make sure one looks.
  if (thread) wakep();
  return true;
}

// Teardown: take the parked goroutine off the semaphore, unless a waker has it.
bool cancel_park(G*, void* arg) {
  auto* pk = static_cast<Parking*>(arg);
  std::uintptr_t expected = reinterpret_cast<std::uintptr_t>(pk->w);
  if (!pk->gpp->compare_exchange_strong(expected, kPdNil, std::memory_order_seq_cst)) return false;
  g_waiters.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

// Go's netpollblock: true if woken by readiness, false by a deadline or close (or a
// cancelled park at teardown).
bool block(PollDesc* pd, int mode) {
  std::atomic<std::uintptr_t>& gpp = sema_of(pd, mode);
  for (;;) {
    std::uintptr_t old = kPdReady;
    if (gpp.compare_exchange_strong(old, kPdNil, std::memory_order_seq_cst)) return true;
    if (old == kPdNil) {
      if (gpp.compare_exchange_strong(old, kPdWait, std::memory_order_seq_cst)) break;
      continue;
    }
    fatal("netpoll: two goroutines wait for the same descriptor in the same direction");
  }
  // Close and deadlines publish their flag and then look at the semaphore; kPdWait is
  // published now, so look at the flags once more before parking.
  if (poll_check(pd, mode) == PollResult::kReady) {
    Waiter w;
    Parking pk{&gpp, &w};
    w.park(commit_park, &pk, WaitReason::kIOWait, cancel_park, &pk);
  }
  std::uintptr_t old = gpp.exchange(kPdNil, std::memory_order_seq_cst);
  if (old > kPdWait) fatal("netpoll: corrupted poll descriptor");
  return old == kPdReady;
}

// Readies a waiter found by the poller (still counted in g_waiters): a goroutine joins
// the batch and stays counted until netpoll_injected; a thread wakes.
void deliver(Waiter* w, GList* batch) {
  if (w == nullptr) return;
  G* gp = w->g;
  if (gp != nullptr && ready_mark(gp)) {
    batch->push(gp);
    return;
  }
  g_waiters.fetch_sub(1, std::memory_order_seq_cst);
  if (gp == nullptr) w->ready();
}

void on_ready(std::uint64_t tag, int mode, void* arg) {
  PollDesc* pd = from_tag(tag);
  if (pd == nullptr) return;
  auto* batch = static_cast<GList*>(arg);
  if (mode == kPollRead || mode == kPollRead + kPollWrite) deliver(unblock(pd, kPollRead, true, true), batch);
  if (mode == kPollWrite || mode == kPollRead + kPollWrite) deliver(unblock(pd, kPollWrite, true, true), batch);
}

// ---------------------------------------------------------------------- deadlines

template <int kMode>
void deadline_fired(timer* t, std::int64_t) {
  auto* pd = static_cast<PollDesc*>(t->arg);
  (kMode == kPollRead ? pd->rd_expired : pd->wd_expired).store(true, std::memory_order_seq_cst);
  if (Waiter* w = unblock(pd, kMode, false)) w->ready();
}

// Returns true if the new deadline has already passed.
bool set_one_deadline(PollDesc* pd, int mode, std::int64_t deadline, std::int64_t now) GORT_REQUIRES(pd->lock) {
  timer& t = mode == kPollRead ? pd->rt : pd->wt;
  std::atomic<bool>& expired = mode == kPollRead ? pd->rd_expired : pd->wd_expired;
  deltimer(&t);  // waits for a firing in flight: the old deadline is gone for good
  (mode == kPollRead ? pd->rd : pd->wd) = deadline;
  if (deadline == 0) {
    expired.store(false, std::memory_order_seq_cst);
    return false;
  }
  if (deadline <= now) {
    expired.store(true, std::memory_order_seq_cst);
    return true;
  }
  expired.store(false, std::memory_order_seq_cst);
  t.arg = pd;
  t.f = mode == kPollRead ? deadline_fired<kPollRead> : deadline_fired<kPollWrite>;
  addtimer(&t, deadline);
  return false;
}

}  // namespace

// ------------------------------------------------------------------- interface

bool netpoll_inited() { return g_inited.load(std::memory_order_acquire); }

std::int32_t netpoll_waiters() { return g_waiters.load(std::memory_order_seq_cst); }

PollDesc* poll_open(int fd) {
  std::call_once(g_init_once, [] {
    netpoll_backend_init();
    netpoll_lastpoll.store(nanotime(), std::memory_order_relaxed);
    g_inited.store(true, std::memory_order_seq_cst);
    // A timer sleeper that went to sleep on its note goes back to sleep in the poller.
    LockGuard lk(sched.lock);
    if (sched.timer_sleeper != nullptr) wake_timer_sleeper_locked(sched.timer_sleeper);
  });
  PollDesc* pd = pool_get();
  if (pd == nullptr) {
    errno = ENOMEM;
    return nullptr;
  }
  {
    LockGuard lk(pd->lock);
    pd->fd = fd;
    pd->rd = pd->wd = 0;
    pd->closing.store(false, std::memory_order_relaxed);
    pd->rd_expired.store(false, std::memory_order_relaxed);
    pd->wd_expired.store(false, std::memory_order_relaxed);
    pd->rg.store(kPdNil, std::memory_order_relaxed);
    pd->wg.store(kPdNil, std::memory_order_relaxed);
  }
  if (int err = netpoll_backend_open(fd, tag_of(pd)); err != 0) {
    pd->gen.fetch_add(1, std::memory_order_release);
    pool_put(pd);
    errno = err;
    return nullptr;
  }
  return pd;
}

void poll_evict(PollDesc* pd) {
  {
    LockGuard lk(pd->lock);
    if (pd->closing.load(std::memory_order_relaxed)) return;
    pd->closing.store(true, std::memory_order_seq_cst);
  }
  Waiter* r = unblock(pd, kPollRead, false);
  Waiter* w = unblock(pd, kPollWrite, false);
  if (r != nullptr) r->ready();
  if (w != nullptr) w->ready();
}

void poll_release(PollDesc* pd) {
  LockGuard lk(pd->lock);
  if (pd->rg.load(std::memory_order_seq_cst) > kPdWait || pd->wg.load(std::memory_order_seq_cst) > kPdWait)
    fatal("netpoll: descriptor released while a goroutine waits on it");
  deltimer(&pd->rt);
  deltimer(&pd->wt);
  netpoll_backend_close(pd->fd);
  pd->fd = -1;
  pd->gen.fetch_add(1, std::memory_order_release);  // events still in flight are stale
  pool_put(pd);
}

PollResult poll_check(PollDesc* pd, int mode) {
  if (pd->closing.load(std::memory_order_seq_cst)) return PollResult::kClosing;
  if ((mode == kPollRead ? pd->rd_expired : pd->wd_expired).load(std::memory_order_seq_cst))
    return PollResult::kTimeout;
  return PollResult::kReady;
}

PollResult poll_wait(PollDesc* pd, int mode) {
  if (PollResult r = poll_check(pd, mode); r != PollResult::kReady) return r;
  while (!block(pd, mode)) {
    if (PollResult r = poll_check(pd, mode); r != PollResult::kReady) return r;
    // Woken by nothing we know of (a teardown that cancelled the park is handled by
    // gopark itself): wait again, as Go does.
    if (sched.abandoning.load(std::memory_order_acquire)) return PollResult::kClosing;
  }
  return PollResult::kReady;
}

void poll_set_deadline(PollDesc* pd, std::int64_t deadline, int mode) {
  bool wake_r = false;
  bool wake_w = false;
  {
    LockGuard lk(pd->lock);
    if (pd->closing.load(std::memory_order_relaxed)) return;
    const std::int64_t now = nanotime();
    if (mode == kPollRead || mode == kPollRead + kPollWrite) wake_r = set_one_deadline(pd, kPollRead, deadline, now);
    if (mode == kPollWrite || mode == kPollRead + kPollWrite) wake_w = set_one_deadline(pd, kPollWrite, deadline, now);
  }
  if (wake_r)
    if (Waiter* w = unblock(pd, kPollRead, false)) w->ready();
  if (wake_w)
    if (Waiter* w = unblock(pd, kPollWrite, false)) w->ready();
}

GList netpoll(std::int64_t delay_ns) {
  GList batch;
  if (!netpoll_inited()) return batch;
  netpoll_backend_wait(delay_ns, on_ready, &batch);
  return batch;
}

void netpoll_injected(std::int32_t n) {
  if (n > 0) g_waiters.fetch_sub(n, std::memory_order_seq_cst);
}

void netpoll_break() {
  if (netpoll_inited()) netpoll_backend_break();
}

}  // namespace gort::detail
