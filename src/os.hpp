// os.hpp -- what the runtime needs from the operating system and the CPU.
//
// The contract every platform file (os_linux.cpp, mem_linux.cpp, signal_linux.cpp)
// provides.  Shared runtime code calls only these, so a port replaces those files and
// nothing else.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gort::detail {

// Hint to the CPU that the caller is spinning (x86 `pause`, AArch64 `yield`).
inline void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

std::int64_t nanotime();         // monotonic clock, nanoseconds (steady_clock's epoch)
std::int64_t nanotime_coarse();  // same clock at tick resolution, a few ns cheaper: for dumps

// Puts the thread to sleep for about `us` microseconds: the kernel's timer slack
// (50 us by default) comes on top, which is what a caller backing off wants.
void os_usleep(std::uint32_t us);

// Sleeps while *addr == expected, at most timeout_ns (< 0: no limit).  May return
// spuriously; callers loop on their own condition.
void futex_wait(std::atomic<std::uint32_t>* addr, std::uint32_t expected, std::int64_t timeout_ns);
void futex_wake(std::atomic<std::uint32_t>* addr, int count);

int hardware_threads();
long os_thread_id();

// The process's threads now (all of them, not only the runtime's), or -1 if unknown.
// Needs no new descriptor after its first call (which sysmon_start makes), so that
// the deadlock check still works when the program has used up its descriptors.
int os_thread_count();

// Async-signal-safe write of the whole buffer to stderr.
void write_stderr(const char* s, std::size_t n);
void write_stderr(const char* s);
void write_stderr_u64(std::uint64_t v);

// The stack size of a thread the runtime starts (std::thread: the default attributes).
std::size_t os_thread_stack_size();

// Memory for stacks (mem_linux.cpp, Go's mem_linux.go).  Addresses and sizes are
// page-aligned.  A function that fails leaves the kernel's errno: the caller's report
// names it.
std::size_t os_page_size();
// Reserves n bytes of address space, readable and writable, that the kernel commits a
// page at a time at first touch: no commit charge for untouched pages, no transparent
// huge pages (a touch must not commit 2 MiB).  Null if refused (Go's sysReserve and
// sysMap in one).
void* sys_reserve(std::size_t n);
// Gives the pages of [p, p + n) back to the kernel (Go's sysUnused): the range stays
// reserved and reads as zeros when next touched; guard regions inside it survive.
void sys_unused(void* p, std::size_t n);
// Guard regions: any access to [p, p + n) faults.  sys_guard_install costs no kernel
// mapping (MADV_GUARD_INSTALL, Linux >= 6.13; sys_guard_install_supported probes for
// it once, on a scratch reservation).  sys_guard_protect is the classic PROT_NONE
// (Go's sysFault): it splits its mapping in two, so it counts against
// os_max_map_count().
bool sys_guard_install_supported();
bool sys_guard_install(void* p, std::size_t n);
bool sys_guard_protect(void* p, std::size_t n);
// The most memory mappings a process may hold (vm.max_map_count; the kernel's default
// if it cannot be read).
long os_max_map_count();

// For the report when the kernel refuses memory (a stack reservation, a thread's
// stack): writes into buf (NUL-terminated, at most n bytes) one "runtime: ..." line
// for each limit that explains why `request` more bytes of address space did not
// fit: RLIMIT_AS (ulimit -v), vm.max_map_count, strict overcommit.  Empty if none
// applies.  Reads /proc: not async-signal-safe, for fatal reports only.
void os_memory_limit_hints(std::size_t request, char* buf, std::size_t n);

// The SIGSEGV/SIGBUS handler that turns a touch of a stack guard into Go's
// `fatal error: stack overflow` (signal_linux.cpp).  Installed once per process; each
// thread that runs goroutine or coroutine code needs an alternate signal stack, since
// the faulting stack has no room left.  Both are no-ops in sanitizer builds, whose own
// SEGV reports stand in for them.
void install_stack_overflow_handler();

// GORT_SIGQUIT=1: SIGQUIT prints every goroutine and exits with status 2, as Go does.
// The handler only raises a flag and wakes sysmon, which prints (signal_linux.cpp,
// sysmon.cpp).  Installed by run() when asked for, removed when run() returns.
void install_sigquit_dump();
void remove_sigquit_dump();
bool sigquit_pending();
void ensure_signal_stack();
void release_signal_stack();  // a thread the runtime created, before it exits

// What another M's thread is running, asked of the thread itself (signal_linux.cpp):
// the sampler signals it (SIGURG, Go's preemption signal) and the handler records the
// interrupted frames, the goroutine and its P into m->sample (runtime2.hpp, MSample).
// install_sample_handler: once per process, at run().  sample_request: false if m is
// being sampled already or could not be signalled.  sample_wait: true once the
// answer is in m->sample; false at the deadline (nanotime()), the request withdrawn.
// sample_release: after reading the answer.  One sampler at a time (the caller's lock).
struct M;
void install_sample_handler();
bool sample_request(M* m);
bool sample_wait(M* m, std::int64_t deadline);
void sample_release(M* m);

}  // namespace gort::detail
