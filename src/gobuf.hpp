// gobuf.hpp -- saved execution contexts and the single switch point.
//
// A Gobuf is a context that is not running: its stack pointer, below which
// gort_swap_context (asm_<arch>.S) pushed the callee-saved registers.  Every switch in
// gort -- goroutine to goroutine, goroutine to scheduler, caller to Coroutine -- goes
// through gobuf_switch(), so this is the one place that carries what else must follow
// a context from thread to thread:
//
//  * the C++ runtime's exception state (__cxa_eh_globals: the caught-exception stack
//    and the uncaught count).  It is per thread in the ABI; a goroutine that parks in a
//    catch block and resumes on another thread, or beside another goroutine parked in
//    its own catch block, would otherwise pop somebody else's exception.
//  * the sanitizers' fiber annotations: ASan must know which stack it is on (and owns
//    a fake stack per context), TSan keeps a fiber (a logical thread) per context.
//  * the canary of a stack that has no guard page (see stack.cpp), checked each time
//    that stack is switched away from.
//
// Alternatives rejected: ucontext/swapcontext (a sigprocmask syscall per switch);
// saving all registers (the call into the switch already spilled the caller-saved
// ones); a separate scheduler stack hop on every switch (Go's mcall): gort switches
// goroutine to goroutine directly and runs the leftover bookkeeping of the context it
// left (see PostSwitch in runtime2.hpp) once it is off that stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// The frame gort_swap_context leaves on a stack (SwitchFrame), one architecture per
// header, each tied to its assembly's offsets by static_assert.
#if defined(__x86_64__)
#include "gobuf_amd64.h"
#elif defined(__aarch64__)
#include "gobuf_arm64.h"
#else
#error "gort has no context switch for this architecture (asm_amd64.S, asm_arm64.S)"
#endif

#include "sanitizers.hpp"

#if GORT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if GORT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

extern "C" {
// asm_<arch>.S; the contract is written there.
void* gort_swap_context(void** save_sp, void* next_sp, void* transfer);
void* gort_make_context(void* stack_top, void (*entry)(void*, void*), void* data);
}

namespace __cxxabiv1 {
struct __cxa_eh_globals;
extern "C" __cxa_eh_globals* __cxa_get_globals() noexcept;
}  // namespace __cxxabiv1

namespace gort::detail {

// Value written at the lowest word of a stack that has no guard page.
inline constexpr std::uint64_t kStackCanary = 0x676f72742d737461ULL;  // "gort-sta"

// The C++ ABI's per-thread exception state, as libstdc++ and libc++abi lay it out on
// every target gort supports (the third, ARM-EHABI-only field does not exist on
// AArch64).
struct EhState {
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
};

struct Gobuf {
  void* sp = nullptr;  // SwitchFrame of this context while it is not running
  // The stack this context runs on.  Set when the stack is made; for a thread's own
  // stack, filled in by ASan when the thread first switches away (gobuf_arrived).
  const void* stack_lo = nullptr;
  std::size_t stack_size = 0;
  const std::uint64_t* canary = nullptr;  // non-null only for an unguarded stack
  EhState eh;                             // exception state while not running
#if GORT_ASAN
  void* asan_fake_stack = nullptr;        // ASan's fake frames of this context
#endif
#if GORT_TSAN
  void* tsan_fiber = nullptr;             // TSan's logical thread of this context
#endif
};

[[noreturn]] void stack_overflow_canary(const Gobuf* g);  // stack.cpp

// The exception state block of the calling thread.  Out of line and opaque (tls.cpp):
// callers must fetch it again after any switch, since the context may have moved to
// another thread.  The scheduler keeps each M's block in M::eh instead.
EhState* this_thread_eh();
EhState* this_thread_eh_for_coroutine();  // also installs the thread's signal stack once

inline void eh_state_swap(Gobuf* from, const Gobuf* to, EhState* here) {
  std::memcpy(&from->eh, here, sizeof(EhState));
  std::memcpy(here, &to->eh, sizeof(EhState));
}

// Called first thing in a context that was just switched to: by gobuf_switch when
// it returns, and by the entry function of a new context (self == nullptr).
inline void gobuf_arrived([[maybe_unused]] Gobuf* self, [[maybe_unused]] Gobuf* prev) {
#if GORT_ASAN
  const void* lo = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(self != nullptr ? self->asan_fake_stack : nullptr, &lo, &size);
  if (prev != nullptr) {
    prev->stack_lo = lo;
    prev->stack_size = size;
  }
#endif
}

// The single switch point.  Saves the running context into `from` and resumes `to`.
// Returns when some context later switches back to `from`, with the Gobuf that
// context left (the transfer value).  `here`: the exception state block of the thread
// the switch happens on (this_thread_eh(), or the M's).  `from_exits`: the running
// context will never be resumed; its sanitizer state is released now.
inline Gobuf* gobuf_switch(Gobuf* from, Gobuf* to, EhState* here, [[maybe_unused]] bool from_exits = false) {
  // An unguarded stack: its canary was overwritten, or the stack pointer is below the
  // stack right now.  (A frame that skipped the canary word and has already returned
  // goes unseen: the fallback is weaker than a guard page, as stack.cpp says.)
  if (from->canary != nullptr) [[unlikely]] {
    if (*from->canary != kStackCanary ||
        static_cast<const void*>(__builtin_frame_address(0)) < from->stack_lo)
      stack_overflow_canary(from);
  }
  eh_state_swap(from, to, here);
#if GORT_ASAN
  __sanitizer_start_switch_fiber(from_exits ? nullptr : &from->asan_fake_stack, to->stack_lo,
                                 to->stack_size);
#endif
#if GORT_TSAN
  from->tsan_fiber = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  auto* prev = static_cast<Gobuf*>(gort_swap_context(&from->sp, to->sp, from));
  gobuf_arrived(from, prev);
  return prev;
}

// A recycled stack may still carry the ASan redzones of frames that never returned
// (the entry frame of a context that switched away for good): clears them.
inline void stack_unpoison([[maybe_unused]] char* lo, [[maybe_unused]] char* hi) {
#if GORT_ASAN
  __asan_unpoison_memory_region(lo, static_cast<std::size_t>(hi - lo));
#endif
}

// Makes `g` a new context on [lo, hi) that will call entry(transfer, data) when it is
// first switched to.  Owns a TSan fiber from here until gobuf_release.
inline void gobuf_init(Gobuf* g, char* lo, char* hi, const std::uint64_t* canary,
                       void (*entry)(void*, void*), void* data) {
  stack_unpoison(lo, hi);
  g->sp = gort_make_context(hi, entry, data);
  g->stack_lo = lo;
  g->stack_size = static_cast<std::size_t>(hi - lo);
  g->canary = canary;
  g->eh = EhState{};
#if GORT_ASAN
  g->asan_fake_stack = nullptr;
#endif
#if GORT_TSAN
  if (g->tsan_fiber == nullptr) g->tsan_fiber = __tsan_create_fiber(0);
#endif
}

// Releases what gobuf_init acquired; the context must not be running.
inline void gobuf_release([[maybe_unused]] Gobuf* g) {
#if GORT_TSAN
  if (g->tsan_fiber != nullptr) __tsan_destroy_fiber(g->tsan_fiber);
  g->tsan_fiber = nullptr;
#endif
}

}  // namespace gort::detail
