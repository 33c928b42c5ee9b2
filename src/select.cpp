// select.cpp -- select over channel cases (Go's select.go, selectgo).
//
// Both forms of gort::select (include/gort/select.hpp) evaluate every case once and
// hand select_cases a type-erased view of each (SelectCaseRef, which carries the case's
// SelectCase record; an on_default's has a nil channel, so it is never ready and the
// case indices need no mapping); select_cases finds the default, calls selectgo on the
// records where they are and completes the chosen case.  selectgo works as Go's:
//   pass 0  a random poll order over the non-nil cases (a uniform permutation, so
//           the first ready case found is uniform among the ready ones), and a lock
//           order: the same cases sorted by channel address (built after pass 1a,
//           which needs none), and from it the lock set, each distinct channel once.
//   pass 1a (not in Go) the first case in poll order that looks ready, judged from
//           lock-free hints (closed, qcount, queue heads), is tried under its own
//           channel's lock only.  If it proceeds, that is a valid select outcome: the
//           case was ready at that moment and was first in a uniform order among the
//           cases that looked ready.  If it does not, nothing was decided and pass 1
//           starts from scratch.  A select that finds work at once thus takes one
//           lock instead of one per channel.
//   pass 1  with every channel locked (in lock order, each distinct channel once),
//           look for a ready case in poll order and perform it: a hand-off with a
//           parked partner, the buffer, or a closed channel.  Only this pass may
//           conclude "nothing is ready" (default, or park): that needs one instant at
//           which every channel was not ready, which only holding all locks gives.
//           Passes 1a and 1 try a case with the locked core that chansend and
//           chanrecv use (send_locked, recv_locked in chan.hpp), so a case proceeds
//           exactly as the operation alone would.
//   pass 2  none ready and blocking: enqueue one Sudog per case, every one pointing
//           at one Waiter, and park; the park's unlock function releases the locks.
//   pass 3  woken: Waiter::param names the Sudog that fired; lock again and unlink
//           the other Sudogs, so that none lingers in a quiet channel's queue.  The
//           fired case's channel is not locked again (unless another case uses it
//           too): its waker already unlinked and unpinned the only Sudog this select
//           had there, and that channel may be gone (chan.cpp: pins).
//
// Exactly one wake-up wins: a select's Sudogs are marked is_select, and a waker that
// dequeues one must first flip its Waiter's `selected` from 0 to 1 (Go's selectDone);
// a loser drops that Sudog and looks at the next one in the queue.  The winner then
// owns the Sudog and completes the communication itself (moving the value in or
// out), so a woken select never retries: the case it returns has already happened.
//
// Lock order: by address, a total order shared by every select and by the single-
// channel operations (which hold one lock), so two selects over the same channels
// cannot deadlock.  Unlocking after the park runs on another context and releases
// the locks from the highest address down, reading the select's frame only before
// each release: once the last lock is free a waker may complete the select and its
// frame may be gone.  (A waker on an already released channel may wake the select
// earlier, but then pass 3 needs the lowest channel's lock, released last, so the
// frame outlives the unlocking; a waker on the lowest channel comes after it.)
// Clang's thread-safety analysis is off for sellock, selunlock, poll_case and
// selectgo (GORT_NO_THREAD_SAFETY_ANALYSIS): the set of locks held is decided at run
// time (the distinct channels of the cases), and poll_case releases through a functor
// either its one channel's lock or the whole set, which no annotation can name.
// chansend and chanrecv, which hold one lock, are checked.
//
// A select with one channel case is a plain chansend/chanrecv (Go's compiler makes the
// same rewrite): no permutation, no sort, one Sudog.  All Sudogs and scratch arrays
// live in select_cases' frame up to kSelectFrameCases cases (SelectFrame), so
// a select of that size never allocates; a larger one takes them from the heap.
//
// Teardown: selcancel unlinks every Sudog of a goroutine parked in select before it
// is unwound; if the goroutine was woken and unwinds instead of returning, the catch
// in selectgo unlinks the rest and destroys a value that was received for it.
//
// Rejected alternatives:
//   * Trying every case under its own lock, one after the other, and parking when
//     none proceeds: "A was not ready, then B was not ready" does not mean both were
//     unready at one moment (a value may move from B to A in between), so a select
//     with a default could miss a channel that is never empty.  Pass 1a only ever
//     concludes positively.
//   * Polling again after a wake-up instead of completing the case in the waker: the
//     woken select could lose the value to a newcomer and would need to loop, which
//     costs a second round of locks and breaks FIFO hand-off to parked parties.
//   * One global select lock: serialises unrelated selects.  Go's per-channel locks
//     in address order scale with the number of channels instead.
//   * Go's heap sort for the lock order: it avoids allocation for any case count; the
//     frame already holds the scratch arrays here, and case counts are small (a
//     select's cases are written out in source), so insertion sort serves the usual
//     sizes and std::sort the rest.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include <gort/panic.hpp>
#include <gort/select.hpp>

#include "chan.hpp"
#include "os.hpp"
#include "proc.hpp"
#include "rand.hpp"

namespace gort::detail {

namespace {

// Up to this many cases the lock order is sorted by insertion (fewer compares and no
// call for the 2-4 cases typical of select); beyond it, std::sort.  The value is the
// point where libstdc++'s own introsort switches to insertion sort.
constexpr std::size_t kInsertionSortMax = 16;

// Cases whose scratch arrays select_cases keeps in its own frame (60 bytes each: two
// order slots, a channel of the lock set and a Sudog); beyond, they are allocated.
// A select's cases are written out in source, so selects this large are rare; 16 is
// also where the lock order's sort changes strategy (kInsertionSortMax).
constexpr std::size_t kSelectFrameCases = 16;

// selectgo's orders are arrays of uint16_t case indices (Go's limit too).
constexpr std::size_t kMaxSelectCases = std::size_t{1} << 16;

thread_local std::uint64_t t_rand_state = 0;

// Reserves `n` numbers of this thread's wyrand stream (rand.hpp) and returns the state
// before them, so that a select touches thread-local storage once however many cases
// it has.  Out of line: a goroutine may move to another thread at any park, so no
// thread-local address may be kept across one (tls.cpp); this function never parks.
// Under a schedule seed the numbers come from the P's seeded stream instead, so that
// the seed decides the poll order too (proc.cpp, "Randomized schedules").
[[gnu::noinline]] std::uint64_t reserve_rand(std::size_t n) {
  if (sched.randomize.load(std::memory_order_relaxed)) [[unlikely]]
    if (std::uint64_t s; reserve_sched_rand(n, &s)) return s;
  std::uint64_t s = t_rand_state;
  if (s == 0) s = static_cast<std::uint64_t>(nanotime()) ^ reinterpret_cast<std::uintptr_t>(&t_rand_state);
  t_rand_state = s + kWyP0 * n;
  return s;
}

struct SelectResult {
  std::size_t index;  // the case that proceeded; ncases when none did (see selectgo)
  bool recv_ok;       // a receive case got a value (false: the channel is closed)
};

// The cases as selectgo reads them: straight from the callers' SelectCaseRefs (an
// on_default's record has a nil channel), so nothing is copied before the select runs.
struct CaseList {
  const SelectCaseRef* refs;
  const SelectCase& operator[](std::size_t i) const noexcept { return refs[i].channel_case(); }
};

// The distinct channels of a select's cases, in lock order (by address, each once):
// what sellock and selunlock walk, built once after the sort so that neither looks
// at the cases again.
struct LockSet {
  hchan* const* chans;
  std::size_t n;
};

struct SelectState {  // a parked select, for its unlock and cancel hooks
  LockSet locks;
  const std::uint16_t* lockorder;
  std::size_t norder;
  SudogSlot* sudogs;
  std::uint16_t* scratch;  // room for locks.n indices (the poll order, done with)
  bool cancelled = false;  // selcancel unlinked every Sudog
};

Sudog* sudog_at(SudogSlot* slots, std::size_t i) { return std::launder(reinterpret_cast<Sudog*>(slots[i].bytes)); }

void sort_lockorder(CaseList cases, std::uint16_t* lockorder, std::size_t n) {
  auto addr = [cases](std::uint16_t i) { return reinterpret_cast<std::uintptr_t>(cases[i].c); };
  if (n > kInsertionSortMax) {
    std::sort(lockorder, lockorder + n, [&](std::uint16_t a, std::uint16_t b) { return addr(a) < addr(b); });
    return;
  }
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint16_t v = lockorder[i];
    const std::uintptr_t a = addr(v);
    std::size_t j = i;
    for (; j > 0 && addr(lockorder[j - 1]) > a; --j) lockorder[j] = lockorder[j - 1];
    lockorder[j] = v;
  }
}

// Locks every channel of the set, in address order; with `skip`, not that one (pass 3:
// the waker already took this select's only Sudog on it).
void sellock(const LockSet& locks, const hchan* skip = nullptr) GORT_NO_THREAD_SAFETY_ANALYSIS {
  for (std::size_t i = 0; i < locks.n; ++i)
    if (locks.chans[i] != skip) locks.chans[i]->lock.lock();
}

// The reverse of sellock.  Reads the set only while a lower-addressed lock is still
// held: after the park, once the last lock is free a waker may complete the select
// and its frame may be gone.  (Only the select itself, whose frame is alive, skips.)
void selunlock(const LockSet& locks, const hchan* skip = nullptr) GORT_NO_THREAD_SAFETY_ANALYSIS {
  hchan* const* chans = locks.chans;
  for (std::size_t i = locks.n; i > 0; --i) {
    hchan* c = chans[i - 1];
    if (c != skip) c->lock.unlock();
  }
}

// Unlinks and unpins every Sudog of the select but `except` (the fired one, which its
// waker dequeued and unpinned), under the locks of every channel but `skip` (one where
// only `except` waited), and releases the channels this left orphaned with no pin.
// After it the select touches none of its channels: any of them may be gone.
void unlink_rest(const SelectState& st, const Sudog* except, const hchan* skip) GORT_NO_THREAD_SAFETY_ANALYSIS {
  sellock(st.locks, skip);
  for (std::size_t k = 0; k < st.norder; ++k) {
    Sudog* sg = sudog_at(st.sudogs, st.lockorder[k]);
    if (sg == except) continue;  // dequeued by its waker, who owns it
    (sg->is_send ? sg->c->sendq : sg->c->recvq).remove(sg);
  }
  std::size_t nreap = 0;
  for (std::size_t i = 0; i < st.locks.n; ++i)
    if (st.locks.chans[i] != skip && st.locks.chans[i]->claim_orphan()) st.scratch[nreap++] = static_cast<std::uint16_t>(i);
  selunlock(st.locks, skip);
  for (std::size_t k = 0; k < nreap; ++k) chan_release_orphan(st.locks.chans[st.scratch[k]]);
}

// The channel pass 3 need not lock: the fired case's, unless another case of the
// select waits there too.
const hchan* fired_only_channel(CaseList cases, const SelectState& st, std::size_t index, const Sudog* fired) {
  if (st.locks.n != st.norder) {
    for (std::size_t k = 0; k < st.norder; ++k)
      if (st.lockorder[k] != index && cases[st.lockorder[k]].c == fired->c) return nullptr;
  }
  return fired->c;
}

// Performs case i if it can proceed now, through the locked core chansend/chanrecv
// use (chan.hpp); `unlock` releases whatever locks are held (only c's, or every
// channel's) once the case has proceeded, before the wake-up or the panic.  False,
// with the locks still held, if it cannot proceed.  Under c->lock.
template <class Unlock>
[[gnu::always_inline]] inline bool poll_case(const SelectCase& cas, std::size_t i, Unlock unlock, SelectResult* r)
    GORT_NO_THREAD_SAFETY_ANALYSIS {
  hchan* c = cas.c;
  Sudog* partner;
  if (cas.is_send) {
    const ChanStep step = send_locked(c, cas.elem, &partner);
    if (step == ChanStep::kNotReady) return false;
    unlock();
    if (step == ChanStep::kClosed) panic("send on closed channel");
    if (step == ChanStep::kHandoff) send_finish(c, partner, cas.elem);
    *r = {i, false};
    return true;
  }
  const ChanStep step = recv_locked(c, cas.elem, &partner);
  if (step == ChanStep::kNotReady) return false;
  unlock();
  if (step == ChanStep::kHandoff) recv_finish(c, partner, cas.elem);
  *r = {i, step != ChanStep::kClosed};
  return true;
}


bool selparkcommit(G*, void* arg) {
  const auto* st = static_cast<const SelectState*>(arg);
  selunlock(st->locks);
  return true;
}

bool selcancel(G*, void* arg) {
  auto* st = static_cast<SelectState*>(arg);
  // Win the select against wakers, as a waker would: if one already won, it owns its
  // Sudog, is about to wake us, and the woken select unlinks the rest (its fired
  // channel may be gone by then: not ours to lock).  A waker that dequeues one of our
  // Sudogs after this loses, and leaves it pinned for us.
  std::uint32_t expected = 0;
  Waiter* w = sudog_at(st->sudogs, st->lockorder[0])->waiter;
  if (!w->selected.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return false;
  unlink_rest(*st, nullptr, nullptr);
  st->cancelled = true;
  return true;
}

// One channel case (with or without a default): a plain send or receive.
SelectResult select_one(const SelectCase& k, bool block) {
  const ChanStatus st = k.is_send ? chansend(k.c, k.elem, block) : chanrecv(k.c, k.elem, block);
  switch (st) {
    case ChanStatus::kOk:
      return {0, true};
    case ChanStatus::kClosed:
      return {0, false};
    case ChanStatus::kNotReady:
    case ChanStatus::kCancelled:
      break;
  }
  return {1, false};
}

// Go's selectgo over cases[0..ncases) (two or more; an on_default is a case with a
// nil channel here, never ready): performs one ready case, chosen uniformly at random,
// blocking until one is ready when `block`.  order: room for 2*ncases uint16s;
// chans and sudogs: room for ncases each.  Returns index == ncases when !block and nothing was
// ready, or when teardown cancelled the wait of an unwinding goroutine.  Panics "send
// on closed channel" when the chosen send case's channel is closed.
SelectResult selectgo(CaseList cases, std::uint16_t* order, hchan** chans, SudogSlot* sudogs, std::size_t ncases,
                      bool block) GORT_NO_THREAD_SAFETY_ANALYSIS {
  const SelectResult none{ncases, false};

  // Pass 0: poll order (a random permutation of the non-nil cases) and lock order.
  std::uint16_t* pollorder = order;
  std::uint16_t* lockorder = order + ncases;
  std::size_t norder = 0;
  std::uint64_t rand = reserve_rand(ncases);
  for (std::size_t i = 0; i < ncases; ++i) {
    if (cases[i].c == nullptr) continue;  // a nil channel is never ready
    const std::uint32_t j = randn(&rand, static_cast<std::uint32_t>(norder + 1));
    pollorder[norder] = static_cast<std::uint16_t>(i);  // inside-out Fisher-Yates
    std::swap(pollorder[norder], pollorder[j]);
    ++norder;
  }
  if (norder == 0) {  // only nil channels
    if (block) park_forever(WaitReason::kSelect);
    return none;
  }

  SelectResult r;
  // Pass 1a: the first case that looks ready (lock-free hints) is tried under its own
  // lock only.  Performing it there is a valid outcome: it was ready at that moment.
  // If it is not ready after all, everything is decided under every lock below.
  for (std::size_t k = 0; k < norder; ++k) {
    const std::size_t i = pollorder[k];
    hchan* c = cases[i].c;
    if (!(cases[i].is_send ? c->may_send() : c->may_recv())) continue;
    c->lock.lock();
    if (poll_case(cases[i], i, [c]() GORT_NO_THREAD_SAFETY_ANALYSIS { c->lock.unlock(); }, &r)) return r;
    c->lock.unlock();
    break;
  }

  for (std::size_t k = 0; k < norder; ++k) lockorder[k] = pollorder[k];
  sort_lockorder(cases, lockorder, norder);
  std::size_t nchans = 0;
  for (std::size_t k = 0; k < norder; ++k) {
    hchan* c = cases[lockorder[k]].c;
    if (nchans == 0 || chans[nchans - 1] != c) chans[nchans++] = c;  // the same channel in several cases
  }
  const LockSet locks{chans, nchans};

  // Pass 1: the first ready case in poll order, with every channel locked.
  sellock(locks);
  auto unlock_all = [&locks] { selunlock(locks); };
  for (std::size_t k = 0; k < norder; ++k)
    if (poll_case(cases[pollorder[k]], pollorder[k], unlock_all, &r)) return r;
  if (!block) {
    unlock_all();
    return none;
  }

  // Pass 2: wait on every channel at once.
  Waiter w;
  for (std::size_t k = 0; k < norder; ++k) {
    const std::size_t i = lockorder[k];
    hchan* c = cases[i].c;
    Sudog* sg = ::new (sudogs[i].bytes) Sudog{
        .waiter = &w, .elem = cases[i].elem, .c = c, .destroy = c->destroy, .is_send = cases[i].is_send, .is_select = true};
    (sg->is_send ? c->sendq : c->recvq).enqueue(sg);
  }
  SelectState st{locks, lockorder, norder, sudogs, pollorder};
  bool woken;
  try {
    woken = w.park(selparkcommit, &st, WaitReason::kSelect, selcancel, &st);
  } catch (...) {
    // Teardown unwinds the goroutine: unlink what is left as pass 3 would, and destroy
    // a value a sender had already handed over.
    if (auto* fired = static_cast<Sudog*>(w.param)) {
      const auto index = static_cast<std::size_t>(reinterpret_cast<SudogSlot*>(fired) - sudogs);
      unlink_rest(st, fired, fired_only_channel(cases, st, index, fired));
      if (!fired->is_send && fired->success && fired->destroy != nullptr) fired->destroy(fired->elem);
      if (fired->reap) chan_release_orphan(fired->c);
    } else if (!st.cancelled) {
      unlink_rest(st, nullptr, nullptr);
    }
    throw;
  }
  if (!woken) return none;  // teardown: selcancel unlinked every Sudog

  // Pass 3: unlink the Sudogs that did not fire.
  auto* fired = static_cast<Sudog*>(w.param);
  const auto index = static_cast<std::size_t>(reinterpret_cast<SudogSlot*>(fired) - sudogs);
  unlink_rest(st, fired, fired_only_channel(cases, st, index, fired));
  if (fired->reap) chan_release_orphan(fired->c);
  if (fired->is_send && !fired->success) panic("send on closed channel");  // closed while waiting
  return {index, fired->success};
}

// selectgo's scratch arrays for up to N cases.
template <std::size_t N>
struct SelectFrame {
  std::uint16_t order[2 * N];
  hchan* chans[N];
  SudogSlot sudogs[N];
};

// More cases than the frame holds: the arrays come from the heap.
[[gnu::noinline]] SelectResult select_large(const SelectCaseRef* refs, std::size_t n, bool block) {
  if (n > kMaxSelectCases) panic("select: too many cases (max 65536)");
  auto order = std::make_unique_for_overwrite<std::uint16_t[]>(2 * n);
  auto chans = std::make_unique_for_overwrite<hchan*[]>(n);
  auto sudogs = std::make_unique_for_overwrite<SudogSlot[]>(n);
  return selectgo(CaseList{refs}, order.get(), chans.get(), sudogs.get(), n, block);
}

}  // namespace

void block_forever() { park_forever(WaitReason::kSelectNoCases); }

std::size_t select_cases(const SelectCaseRef* refs, std::size_t n) {
  if (n == 0) {
    block_forever();
    return 0;
  }
  std::size_t default_pos = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (refs[i].is_default()) [[unlikely]] {
      if (default_pos != n) panic("select: multiple defaults");
      default_pos = i;
    }
  }
  const bool block = default_pos == n;
  SelectResult r{n, false};
  if (n == 1 || (n == 2 && !block)) {  // one channel case: a plain send or receive
    const std::size_t k = default_pos == 0 ? 1 : 0;
    if (k < n) {
      r = select_one(refs[k].channel_case(), block);
      r.index = r.index == 0 ? k : n;
    }
  } else if (n <= kSelectFrameCases) [[likely]] {
    SelectFrame<kSelectFrameCases> frame;
    r = selectgo(CaseList{refs}, frame.order, frame.chans, frame.sudogs, n, block);
  } else {
    r = select_large(refs, n, block);
  }
  if (r.index < n) {
    refs[r.index].complete(r.recv_ok);
    // Randomized schedules: a blocking select is a scheduling point after its case
    // ran (proc.cpp).  A one-case select yielded in chansend/chanrecv already.
    if (block && n > 1) random_yield_point();
    return r.index;
  }
  if (block) return n;  // teardown of an unwinding goroutine: no handler runs
  refs[default_pos].complete(false);
  return default_pos;
}

}  // namespace gort::detail
