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

namespace gort::detail {

struct G;

inline constexpr std::size_t kThrowTraceBytes = 512;  // reserved at the top of every goroutine stack
inline constexpr std::uint32_t kThrowTraceFrames = 63;

struct ThrowTrace {
  std::uint32_t n;  // frames recorded; 0: no throw recorded since the goroutine started
  std::uintptr_t pcs[kThrowTraceFrames];
};
static_assert(sizeof(ThrowTrace) <= kThrowTraceBytes);

// The slot of a goroutine that has a stack (null otherwise).
ThrowTrace* throw_trace_of(G* gp);

// Writes the frames, symbolized where debug information allows, one per two lines as
// Go does ("function\n\tfile:line\n"), to stderr.
void print_frames(const std::uintptr_t* pcs, std::uint32_t n);

}  // namespace gort::detail
