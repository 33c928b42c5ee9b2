// stack.hpp -- goroutine and coroutine stacks: reservation, guards, pooling.
// The design is written at the top of stack.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::detail {

struct Stack {
  char* lo = nullptr;  // lowest usable byte; the guard region lies just below it
  char* hi = nullptr;  // one past the highest usable byte; stacks grow down from here
  bool guarded = false;  // false: no guard page, a canary at `lo` instead

  std::size_t size() const { return static_cast<std::size_t>(hi - lo); }
  explicit operator bool() const { return lo != nullptr; }
  const std::uint64_t* canary() const {
    return guarded ? nullptr : reinterpret_cast<const std::uint64_t*>(lo);
  }
};

// How stacks are protected against overflow, decided once per process (stack.cpp).
enum class GuardMode : std::uint8_t {
  kMadvise,   // MADV_GUARD_INSTALL (Linux >= 6.13): guards cost no kernel mapping
  kMprotect,  // PROT_NONE pages, two mappings each, up to a budget; then canaries
  kCanary,    // no guard page: a canary word checked at each switch away
};
GuardMode stack_guard_mode();
const char* guard_mode_name(GuardMode m);

inline constexpr std::size_t kDefaultStackSize = 256 * 1024;  // API.md: 256 KiB
inline constexpr std::size_t kMinStackSize = 16 * 1024;       // room for the runtime's own frames
inline constexpr std::size_t kMaxStackSize = std::size_t{1} << 30;  // Go's limit on 64-bit

// `requested` rounded up to whole pages and clamped; 0 means $GORT_STACK_SIZE, else
// kDefaultStackSize.  Throws std::invalid_argument for an unparsable $GORT_STACK_SIZE.
std::size_t stack_size_for(std::size_t requested);

// From the process-wide pool (most recently freed first), else carved from a
// reservation.  Thread-safe.  `size` must come from stack_size_for.  An empty Stack,
// errno set, when the kernel refuses the address space (ENOMEM): the caller decides
// what that means (a goroutine's: fatal_stack_alloc; a Coroutine's: an exception).
Stack stack_alloc(std::size_t size);

// Go's "fatal error: out of memory" for a goroutine stack of `size` usable bytes that
// could not be reserved (err: the errno stack_alloc left), with the limit that was
// hit and the settings that make stacks smaller.  Exit status 2.
[[noreturn]] void fatal_stack_alloc(std::size_t size, int err);
void stack_free(Stack s);

// A small LIFO of stacks of one size, owned by one P: the hot path of goroutine start
// and exit touches no lock and no page that was not just in use.
class StackCache {
 public:
  static constexpr int kCapacity = 64;  // Go's per-P stack cache holds 32 KiB per order; this is 64 stacks
  Stack get(std::size_t size);          // refills half from the pool when empty; empty as stack_alloc
  void put(Stack s);                    // returns half to the pool when full
  void drain();                         // everything back to the pool
  int count() const { return n_; }

 private:
  Stack items_[kCapacity];
  int n_ = 0;
};

// Process-wide figures for stats() and tests.
struct StackStats {
  std::size_t reserved = 0;   // stacks carved so far (in use + pooled)
  std::size_t pooled = 0;     // in the global pool (not counting per-P caches)
  std::size_t guarded = 0;    // carved with a guard page
  std::size_t canaries = 0;   // carved without (mapping budget exhausted)
  std::size_t mappings = 0;   // reservations mapped
};
StackStats stack_stats();

// Returns the pools' stacks beyond their warm sets to the kernel (batched madvise),
// at once: for the end of run() and for tests.
void stack_pool_trim();

// sysmon's share of the pools (the scavenger): returns to the kernel a few batches of
// the stacks that sat unused for a whole scavenge period, the pool's lock dropped
// around each madvise.  Called on every sysmon tick; `now` is nanotime().  Takes no
// lock when no pool holds stacks beyond its warm set.
void stack_scavenge(std::int64_t now);
// Whether some pool holds stacks beyond its warm set: sysmon keeps ticking until the
// scavenger has dealt with them.  One atomic load, no lock.
bool stack_scavenge_pending();

// For the SIGSEGV handler (async-signal-safe, lock-free): is `addr` inside the guard
// region of some stack?  If so, *usable is that stack's usable size.
bool stack_guard_hit(const void* addr, std::size_t* usable);

}  // namespace gort::detail
