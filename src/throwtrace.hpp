// throwtrace.hpp -- where the exception unwinding a goroutine was thrown.
//
// An unrecovered panic is reported after the goroutine's stack has been unwound (its
// defers ran first, as in Go), so the frames of the throw point are gone by then.
// They are recorded when the exception is thrown, by gort's __cxa_throw
// (throwtrace.cpp), into a slot at the top of the throwing goroutine's stack (a page
// that is resident anyway: no allocation, no growth of G), and symbolized only if
// the panic ends the process (traceback.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gort::detail {

struct G;

inline constexpr std::size_t kThrowTraceBytes = 512;  // reserved at the top of every goroutine stack
inline constexpr std::uint32_t kThrowTraceFrames = 62;

struct PanicChain;  // panic.cpp

struct ThrowTrace {
  std::uint32_t n;  // frames recorded; 0: no throw recorded since the goroutine started
  PanicChain* panics;  // panics raised by deferred calls while unwinding (panic.cpp); null: none
  std::uintptr_t pcs[kThrowTraceFrames];
};
static_assert(sizeof(ThrowTrace) <= kThrowTraceBytes);

// The slot of a goroutine that has a stack (null otherwise).
ThrowTrace* throw_trace_of(G* gp);

// The panics raised by deferred calls of the running goroutine, or of this thread when
// it is not a goroutine (panic.cpp).
PanicChain*& panic_chain_slot();

// A new exception is being thrown: panics recorded against exceptions that have been
// caught since are stale (panic.cpp).  Called by __cxa_throw.
void forget_caught_panics() noexcept;

// The goroutine gp ends: frees what is left of its panic chain (panic.cpp).
void drop_panic_chain(G* gp) noexcept;

// Writes the frames, symbolized where debug information allows, one per two lines as
// Go does ("function\n\tfile:line\n"), to stderr.
void print_frames(const std::uintptr_t* pcs, std::uint32_t n);
// The same text, appended to `out`.
void append_frames(std::string& out, const std::uintptr_t* pcs, std::uint32_t n);

}  // namespace gort::detail
