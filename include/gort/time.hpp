// time.hpp -- gort's clock.
#pragma once

#include <chrono>

namespace gort {

using Clock = std::chrono::steady_clock;

}  // namespace gort
