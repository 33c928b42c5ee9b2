// rand.hpp -- the runtime's cheap random numbers (Go's rand.go: cheaprand, cheaprandn).
//
// wyrand (Wang Yi's generator, the one Go's cheaprand uses on 64-bit): the state is a
// counter advanced by kWyP0 per number, so a caller can reserve n numbers of a stream
// with one add and draw them from a local copy (select's poll order does), and two
// streams that start at different states never need coordinating.  Not for
// cryptography; good enough for schedule decisions and a uniform poll order.
#pragma once

#include <cstdint>

namespace gort::detail {

constexpr std::uint64_t kWyP0 = 0xa0761d6478bd642fULL;
constexpr std::uint64_t kWyP1 = 0xe7037ed1a0b428dbULL;

// The next number of the stream whose state is *s.
inline std::uint32_t wyrand(std::uint64_t* s) {
  *s += kWyP0;
  const unsigned __int128 m = static_cast<unsigned __int128>(*s) * (*s ^ kWyP1);
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m));
}

// Uniform in [0, n) (Lemire's multiply-shift, Go's cheaprandn).
inline std::uint32_t randn(std::uint64_t* s, std::uint32_t n) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(wyrand(s)) * n) >> 32);
}

}  // namespace gort::detail
