// stack.cpp -- stack reservation, guard regions, pooling, the mapping budget.
//
// Every goroutine and Coroutine runs on a stack from here.  What decides the design:
//
//  * Memory that is reused beats memory that is fresh: a first-touch page fault costs
//    microseconds on these machines, more than a whole goroutine spawn should.  So
//    stacks are pooled, most recently freed first (its pages are still resident and
//    cached), in per-P caches (StackCache, no lock) over one process-wide pool.
//  * Reservations are lazy: one mmap(MAP_NORESERVE) reserves many stack slots; the
//    kernel commits a page only when it is touched, so a parked goroutine that used
//    one page of its 256 KiB costs one page.
//  * Every stack has a guard region below it, and a guard must not cost a kernel
//    mapping: vm.max_map_count is 65530 by default and a classic PROT_NONE guard
//    splits its reservation into two mappings, which stops near 32,000 stacks.
//    Linux >= 6.13 has MADV_GUARD_INSTALL, which marks the guard pages inside the one
//    mapping (guards survive MADV_DONTNEED; checked on this kernel: 1,000,000 guards,
//    25 mappings).  Where the kernel lacks it we fall back to mprotect guards up to a
//    budget derived from vm.max_map_count, then to unguarded stacks whose lowest word
//    holds a canary checked at every switch away (gobuf.hpp), and say so once on
//    stderr with the sysctl that restores full protection.  The canary is weaker: it
//    sees an overflow that wrote over the canary word or is still below the stack at
//    the switch, not one that skipped the word and returned before it.
//  * The guard region is kGuardSize, larger than a page: a function whose frame is
//    bigger than the guard could step over it into the neighbouring slot (the top of
//    another live stack) without faulting.  With MADV_GUARD_INSTALL the size costs
//    address space only.
//  * A reservation the kernel refuses (ENOMEM: RLIMIT_AS, vm.max_map_count, strict
//    overcommit) is retried at half its size down to one slot; when not even that
//    fits, stack_alloc returns an empty Stack and its caller decides: a goroutine's
//    is Go's fatal "out of memory", a Coroutine's an exception for its creator.
//  * The pool keeps a warm set resident and returns the rest to the kernel from
//    sysmon, in the background, as Go's scavenger does: a stack is returned once it
//    has sat unused in the pool for a whole scavenge period, in batches (one madvise
//    per run of adjacent free slots) with no lock held, so a burst of a million
//    goroutines does not pin its memory after it ends.  Rejected: trimming on the
//    free path once the pool passed a threshold (what gort did first).  A madvise of
//    4096 stacks took over 10 ms, on the P of whichever goroutine happened to exit,
//    while the pool's lock held every other P that freed or took a stack: in the
//    sleepers benchmark (100,000 sleeping goroutines, 2 Ps) that made the p99
//    wake-up ~100 ms late instead of ~5 ms, and the memory it returned was mostly
//    about to be reused by the goroutines still being spawned.
//
// Slot layout inside a reservation (addresses grow to the right):
//     | guard (kGuardSize) | usable stack (size) | guard | usable stack | ...
// The system calls behind reserving, guarding and releasing are the OS layer's
// (os.hpp, mem_linux.cpp).
//
// Locking: one runtime Lock (g_lock) guards the pools and reservations.  It is taken
// from goroutines, from threads that are no M (a Coroutine's creator, a static
// destructor at exit) and from sysmon, never across a switch or a park: a futex lock
// that blocks the thread is right for all of them.  The arena registry read by the
// SIGSEGV handler is append-only and published with release stores.  g_beyond_warm
// mirrors the pools' sizes so that sysmon's tick looks at the pools without the lock.
#include "stack.hpp"

#include "fatal.hpp"
#include "gobuf.hpp"
#include "lock_futex.hpp"
#include "os.hpp"
#include "sysmon.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

namespace gort::detail {
namespace {

constexpr std::size_t kGuardSize = 64 * 1024;
constexpr std::size_t kFirstArenaSlots = 16;    // small programs map little
constexpr std::size_t kMaxArenaSlots = 8192;    // 8192 x 320 KiB = 2.5 GiB of address space
constexpr std::size_t kMaxArenaBytes = std::size_t{16} << 30;
constexpr std::size_t kMaxArenas = 4096;
constexpr std::size_t kPoolWarm = 256;          // pooled stacks kept resident
// A pooled stack unused for a whole period goes back to the kernel: long enough that a
// burst's stacks are reused by the next wave of goroutines rather than faulted in
// afresh (2.3 us a page here), short enough that an idle program sheds its burst
// within a second (Go's scavenger takes minutes; it paces itself to ~1% of a CPU).
constexpr std::int64_t kScavengePeriod = 250'000'000;  // ns
// Stacks released per madvise batch, with the pool's lock dropped in between: one
// batch costs ~0.5 ms here (madvise of 4096 touched stacks measured >10 ms).
constexpr std::size_t kScavengeBatch = 256;
// Batches per sysmon tick: sysmon also retakes Ps and polls the network, and a
// million idle stacks must not keep it away from those for seconds.
constexpr int kScavengeBatchesPerTick = 4;
// A pool this far beyond its warm set wakes a sysmon that sleeps for want of work.
constexpr std::size_t kScavengeWake = 1024;
constexpr long kMapCountReserve = 16384;        // mappings left to the program itself

// Registry of reservations for the fault handler: entries are written before
// g_arena_count is raised (release) and never change afterwards.
struct ArenaInfo {
  char* base;
  std::size_t slot;   // guard + usable
  std::size_t slots;
};
ArenaInfo g_arenas[kMaxArenas];
std::atomic<std::size_t> g_arena_count{0};

// Free stacks of one size.  `hot` is a LIFO whose back is the most recently freed;
// its front holds the stacks unused longest, which is where the scavenger takes from.
// `cold` holds stacks whose pages went back to the kernel; they are reused only when
// no hot stack is left.  The scavenger's bookkeeping: hot[0, low_water) has not been
// touched since the current period began (pops come from the back), and
// hot[0, idle) was untouched for the whole previous period: those may be returned.
Lock g_lock;

struct SizePool {
  std::size_t size = 0;          // usable bytes per stack; set once, before it is shared
  std::deque<Stack> hot GORT_GUARDED_BY(g_lock);
  std::vector<Stack> cold GORT_GUARDED_BY(g_lock);
  std::size_t low_water GORT_GUARDED_BY(g_lock) = 0;
  std::size_t idle GORT_GUARDED_BY(g_lock) = 0;
  char* carve_next GORT_GUARDED_BY(g_lock) = nullptr;  // next unused slot of the newest reservation
  char* carve_end GORT_GUARDED_BY(g_lock) = nullptr;
  std::size_t next_arena_slots GORT_GUARDED_BY(g_lock) = kFirstArenaSlots;
};

constexpr int kMaxSizeClasses = 64;  // distinct stack sizes in one process

// One pool per stack size in use, usually one or two.  A plain array of pointers,
// never destroyed: pools live for the process (their reservations do too), and a
// stack freed from a static destructor at exit must still find its pool.
SizePool* g_pools[kMaxSizeClasses] GORT_GUARDED_BY(g_lock);
int g_npools GORT_GUARDED_BY(g_lock) = 0;
StackStats g_stats GORT_GUARDED_BY(g_lock);
long g_mprotect_budget GORT_GUARDED_BY(g_lock) = -1;  // guards mprotect may still create (kMprotect mode)
bool g_warned GORT_GUARDED_BY(g_lock) = false;
// The stacks in hot lists beyond their pools' warm sets, summed over the pools:
// written under g_lock (load, then store: no read-modify-write needed), read without
// it by stack_scavenge_pending.
std::atomic<std::size_t> g_beyond_warm{0};

GuardMode detect_guard_mode() {
  if (const char* forced = std::getenv("GORT_STACK_GUARD")) {  // for tests of the fallbacks
    if (std::strcmp(forced, "mprotect") == 0) return GuardMode::kMprotect;
    if (std::strcmp(forced, "canary") == 0) return GuardMode::kCanary;
  }
  return sys_guard_install_supported() ? GuardMode::kMadvise : GuardMode::kMprotect;
}

long mprotect_budget() {
  return std::max(0L, (os_max_map_count() - kMapCountReserve) / 2);  // each guard splits one mapping in two
}

void warn_canaries_once(int err) GORT_REQUIRES(g_lock) {
  if (g_warned) return;
  g_warned = true;
  if (stack_guard_mode() == GuardMode::kMadvise) {  // not the mapping count: the kernel had no memory for it
    std::fprintf(stderr,
                 "gort: a stack guard could not be installed (MADV_GUARD_INSTALL: %s); further unguarded "
                 "stacks are protected by a canary checked at each switch.\n",
                 std::strerror(err));
    return;
  }
  std::fprintf(stderr,
               "gort: no more stack guard pages fit under vm.max_map_count; further stacks are "
               "protected by a canary checked at each switch.  Linux >= 6.13 (MADV_GUARD_INSTALL) "
               "or `sysctl -w vm.max_map_count=2000000` restores full protection.\n");
}

SizePool& pool_for(std::size_t size) GORT_REQUIRES(g_lock) {
  for (int i = 0; i < g_npools; ++i)
    if (g_pools[i]->size == size) return *g_pools[i];
  if (g_npools == kMaxSizeClasses) {
    std::fprintf(stderr, "fatal error: gort: more than %d distinct stack sizes in one process\n", kMaxSizeClasses);
    std::_Exit(2);
  }
  auto* p = new SizePool;
  p->size = size;
  g_pools[g_npools++] = p;
  return *p;
}

// False, errno set, when not even one slot can be reserved.  A refused reservation is
// retried at half its size down to one slot: under a limit (RLIMIT_AS, overcommit)
// the doubling would otherwise end the program while a smaller reservation still fit.
bool map_arena(SizePool& pool) GORT_REQUIRES(g_lock) {
  std::size_t slot = kGuardSize + pool.size;
  std::size_t slots = std::min(pool.next_arena_slots, std::max<std::size_t>(1, kMaxArenaBytes / slot));
  std::size_t n = g_arena_count.load(std::memory_order_relaxed);
  if (n == kMaxArenas) {
    errno = ENOMEM;
    return false;
  }
  void* base;
  for (;;) {
    base = sys_reserve(slot * slots);
    if (base != nullptr) break;
    if (errno != ENOMEM || slots == 1) return false;
    slots /= 2;
    pool.next_arena_slots = slots;  // grow again from what fitted
  }
  pool.next_arena_slots = std::min(kMaxArenaSlots, slots * 2);
  g_arenas[n] = ArenaInfo{static_cast<char*>(base), slot, slots};
  g_arena_count.store(n + 1, std::memory_order_release);
  pool.carve_next = static_cast<char*>(base);
  pool.carve_end = pool.carve_next + slot * slots;
  ++g_stats.mappings;
  return true;
}

Stack carve(SizePool& pool) GORT_REQUIRES(g_lock) {
  if (pool.carve_next == pool.carve_end && !map_arena(pool)) return Stack{};
  char* guard = pool.carve_next;
  pool.carve_next += kGuardSize + pool.size;
  Stack s{guard + kGuardSize, guard + kGuardSize + pool.size, false};
  int guard_err = 0;
  switch (stack_guard_mode()) {
    case GuardMode::kMadvise:
      s.guarded = sys_guard_install(guard, kGuardSize);
      guard_err = errno;
      break;
    case GuardMode::kMprotect:
      if (g_mprotect_budget < 0) g_mprotect_budget = mprotect_budget();
      if (g_mprotect_budget > 0 && sys_guard_protect(guard, kGuardSize)) {
        --g_mprotect_budget;
        s.guarded = true;
      } else {
        g_mprotect_budget = 0;  // ENOMEM: the kernel's limit came first
      }
      break;
    case GuardMode::kCanary:
      break;
  }
  if (s.guarded) {
    ++g_stats.guarded;
  } else {
    *reinterpret_cast<std::uint64_t*>(s.lo) = kStackCanary;
    ++g_stats.canaries;
    if (stack_guard_mode() != GuardMode::kCanary) warn_canaries_once(guard_err);
  }
  ++g_stats.reserved;
  return s;
}

// Hands the pages of `batch` back to the kernel.  Adjacent slots are released with
// one sys_unused (one madvise); the guard regions between them survive it (MADV_GUARD_INSTALL markers
// and PROT_NONE alike are kept by MADV_DONTNEED).  The stacks belong to nobody
// meanwhile, so no lock is needed.
void release_pages(std::vector<Stack>& batch) {
  std::sort(batch.begin(), batch.end(), [](const Stack& a, const Stack& b) { return a.lo < b.lo; });
  std::size_t i = 0;
  while (i < batch.size()) {
    char* lo = batch[i].lo;
    char* hi = batch[i].hi;
    std::size_t j = i + 1;
    while (j < batch.size() && batch[j].lo == hi + kGuardSize) {
      hi = batch[j].hi;
      ++j;
    }
    // A canary stack keeps its canary: restore it after the pages are dropped.
    sys_unused(lo, static_cast<std::size_t>(hi - lo));
    for (std::size_t k = i; k < j; ++k)
      if (!batch[k].guarded) *reinterpret_cast<std::uint64_t*>(batch[k].lo) = kStackCanary;
    i = j;
  }
}

// g_beyond_warm += delta; only under g_lock, so a plain load and store suffice.
void add_beyond_warm(std::ptrdiff_t delta, std::memory_order order = std::memory_order_relaxed) GORT_REQUIRES(g_lock) {
  g_beyond_warm.store(g_beyond_warm.load(std::memory_order_relaxed) + static_cast<std::size_t>(delta), order);
}

// Takes up to `max` stacks from the front of the hot list, limited to the `limit`
// oldest and to what lies beyond the warm set.
std::vector<Stack> take_oldest_locked(SizePool& pool, std::size_t limit, std::size_t max) GORT_REQUIRES(g_lock) {
  std::size_t beyond_warm = pool.hot.size() > kPoolWarm ? pool.hot.size() - kPoolWarm : 0;
  std::size_t k = std::min({limit, beyond_warm, max});
  std::vector<Stack> batch(pool.hot.begin(), pool.hot.begin() + static_cast<std::ptrdiff_t>(k));
  pool.hot.erase(pool.hot.begin(), pool.hot.begin() + static_cast<std::ptrdiff_t>(k));
  if (k > 0) add_beyond_warm(-static_cast<std::ptrdiff_t>(k));
  pool.low_water -= std::min(pool.low_water, k);
  pool.idle -= std::min(pool.idle, k);
  return batch;
}

void put_cold_locked(SizePool& pool, const std::vector<Stack>& batch) GORT_REQUIRES(g_lock) {
  pool.cold.insert(pool.cold.end(), batch.begin(), batch.end());
}

Stack pop_free_locked(SizePool& pool) GORT_REQUIRES(g_lock) {  // the pool is not empty
  if (!pool.hot.empty()) {
    if (pool.hot.size() > kPoolWarm) add_beyond_warm(-1);
    Stack s = pool.hot.back();
    pool.hot.pop_back();
    pool.low_water = std::min(pool.low_water, pool.hot.size());
    pool.idle = std::min(pool.idle, pool.hot.size());
    return s;
  }
  Stack s = pool.cold.back();
  pool.cold.pop_back();
  return s;
}

bool pool_empty(const SizePool& pool) GORT_REQUIRES(g_lock) { return pool.hot.empty() && pool.cold.empty(); }

// Returns true when the pool has grown far enough beyond its warm set that a sleeping
// sysmon should wake to scavenge it.  That store of g_beyond_warm is seq_cst: with the
// seq_cst load of sysmon_wait in sysmon_notify_work, against sysmon's seq_cst store of
// it and load of g_beyond_warm before it sleeps, either sysmon sees the stacks or
// this sees it asleep and wakes it (Dekker's pattern).
bool push_free_locked(SizePool& pool, Stack s) GORT_REQUIRES(g_lock) {
  pool.hot.push_back(s);
  if (pool.hot.size() <= kPoolWarm) return false;
  const bool wake = pool.hot.size() == kPoolWarm + kScavengeWake;
  add_beyond_warm(1, wake ? std::memory_order_seq_cst : std::memory_order_relaxed);
  return wake;
}

bool parse_size(const char* text, std::size_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || errno != 0) return false;
  std::string unit(end);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  unsigned long long mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1ULL << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1ULL << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1ULL << 30;
  else return false;
  *out = static_cast<std::size_t>(v * mult);
  return true;
}

}  // namespace

GuardMode stack_guard_mode() {
  static const GuardMode mode = detect_guard_mode();
  return mode;
}

const char* guard_mode_name(GuardMode m) {
  switch (m) {
    case GuardMode::kMadvise: return "madvise-guard";
    case GuardMode::kMprotect: return "mprotect";
    case GuardMode::kCanary: return "canary";
  }
  return "?";
}

std::size_t stack_size_for(std::size_t requested) {
  std::size_t size = requested;
  if (size == 0) {
    size = kDefaultStackSize;
    if (const char* env = std::getenv("GORT_STACK_SIZE"); env != nullptr && *env != '\0') {
      if (!parse_size(env, &size) || size == 0)
        throw std::invalid_argument(std::string("gort: GORT_STACK_SIZE=\"") + env +
                                    "\" is not a size (bytes, or a number with a k, m or g suffix)");
    }
  }
  size = std::clamp(size, kMinStackSize, kMaxStackSize);
  std::size_t ps = os_page_size();
  return (size + ps - 1) / ps * ps;
}

Stack stack_alloc(std::size_t size) {
  LockGuard lk(g_lock);
  SizePool& pool = pool_for(size);
  if (pool_empty(pool)) return carve(pool);
  return pop_free_locked(pool);
}

void fatal_stack_alloc(std::size_t size, int err) {
  std::size_t reserved, arenas;
  {
    LockGuard lk(g_lock);
    reserved = g_stats.reserved;
    arenas = g_arena_count.load(std::memory_order_relaxed);
  }
  const std::size_t slot = kGuardSize + size;
  char why[1536];
  std::size_t n = 0;
  auto left = [&] { return sizeof why - std::min(n, sizeof why); };
  n += static_cast<std::size_t>(
      std::snprintf(why, sizeof why, "runtime: out of memory: cannot reserve a %zu-byte goroutine stack (errno=%d: %s; %zu stacks exist)\n",
                    slot, err, std::strerror(err), reserved));
  if (arenas == kMaxArenas)
    n += static_cast<std::size_t>(std::snprintf(why + n, left(), "runtime: %zu stack reservations, the most gort tracks\n", arenas));
  os_memory_limit_hints(slot, why + std::min(n, sizeof why - 1), left());
  n = std::strlen(why);
  std::snprintf(why + n, left(),
                "runtime: each stack is GORT_STACK_SIZE or Options::stack_size bytes (now %zu) plus a %zu-byte guard; "
                "smaller stacks fit more goroutines\n",
                size, kGuardSize);
  fatal_explained(why, "out of memory allocating a goroutine stack");
}

void stack_free(Stack s) {
  if (!s) return;
  bool wake;
  {
    LockGuard lk(g_lock);
    wake = push_free_locked(pool_for(s.size()), s);
  }
  if (wake) sysmon_notify_work();
}

void stack_pool_trim() {
  LockGuard lk(g_lock);
  for (int i = 0; i < g_npools; ++i) {
    SizePool& pool = *g_pools[i];
    std::vector<Stack> batch = take_oldest_locked(pool, pool.hot.size(), pool.hot.size());
    release_pages(batch);
    put_cold_locked(pool, batch);
  }
}

bool stack_scavenge_pending() {
  // seq_cst: sysmon's look before it sleeps (see push_free_locked).
  return g_beyond_warm.load(std::memory_order_seq_cst) != 0;
}

void stack_scavenge(std::int64_t now) {
  static std::int64_t period_end = 0;  // sysmon's alone
  // Nothing beyond the warm sets: no lock on this tick.  The period's bookkeeping may
  // skip ticks: low_water then stays the minimum over a longer time, which only
  // understates what sat unused (a stack still goes back after a whole period, never
  // sooner).
  if (!stack_scavenge_pending()) return;
  g_lock.lock();
  if (now >= period_end) {
    // What nobody touched during the period that ends now may go; a new one begins.
    for (int i = 0; i < g_npools; ++i) {
      g_pools[i]->idle = g_pools[i]->low_water;
      g_pools[i]->low_water = g_pools[i]->hot.size();
    }
    period_end = now + kScavengePeriod;
  }
  int batches = 0;
  for (int i = 0; i < g_npools && batches < kScavengeBatchesPerTick; ++i) {
    SizePool& pool = *g_pools[i];
    while (batches < kScavengeBatchesPerTick) {
      std::vector<Stack> batch = take_oldest_locked(pool, pool.idle, kScavengeBatch);
      if (batch.empty()) break;
      ++batches;
      g_lock.unlock();
      release_pages(batch);
      g_lock.lock();
      put_cold_locked(pool, batch);
    }
  }
  g_lock.unlock();
}

StackStats stack_stats() {
  LockGuard lk(g_lock);
  StackStats s = g_stats;
  for (int i = 0; i < g_npools; ++i) s.pooled += g_pools[i]->hot.size() + g_pools[i]->cold.size();
  return s;
}

Stack StackCache::get(std::size_t size) {
  if (n_ == 0) {
    // Refill half the cache under one lock; carve only the one stack needed now, since
    // a fresh stack costs a guard installation and, at first touch, a page fault.
    LockGuard lk(g_lock);
    SizePool& pool = pool_for(size);
    if (pool_empty(pool)) return carve(pool);
    while (n_ < kCapacity / 2 && !pool_empty(pool)) items_[n_++] = pop_free_locked(pool);
    // The most recently freed stack ends up on top, as if it had never left the cache.
    std::reverse(items_, items_ + n_);
  }
  if (items_[n_ - 1].size() != size) {  // the cache holds another size: use the pool
    return stack_alloc(size);
  }
  return items_[--n_];
}

void StackCache::put(Stack s) {
  if (n_ > 0 && items_[0].size() != s.size()) {
    stack_free(s);
    return;
  }
  if (n_ == kCapacity) {
    bool wake = false;
    {
      LockGuard lk(g_lock);
      SizePool& pool = pool_for(s.size());
      // The coldest half (bottom of the LIFO) goes back to the pool.
      for (int i = 0; i < kCapacity / 2; ++i) wake |= push_free_locked(pool, items_[i]);
    }
    std::move(items_ + kCapacity / 2, items_ + kCapacity, items_);
    n_ = kCapacity / 2;
    if (wake) sysmon_notify_work();
  }
  items_[n_++] = s;
}

void StackCache::drain() {
  for (int i = 0; i < n_; ++i) stack_free(items_[i]);
  n_ = 0;
}

bool stack_guard_hit(const void* addr, std::size_t* usable) {
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  std::size_t n = g_arena_count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    const ArenaInfo& ar = g_arenas[i];
    auto base = reinterpret_cast<std::uintptr_t>(ar.base);
    if (a < base || a >= base + ar.slot * ar.slots) continue;
    if ((a - base) % ar.slot < kGuardSize) {
      *usable = ar.slot - kGuardSize;
      return true;
    }
    return false;
  }
  return false;
}

}  // namespace gort::detail
