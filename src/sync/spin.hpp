// spin.hpp -- when a blocking primitive may spin before it parks (Go's
// sync_runtime_canSpin / sync_runtime_doSpin, runtime/proc.go).  Design: spin.cpp.
#pragma once

namespace gort::detail {

// True if the caller, on its iter-th round of spinning (from 0), should spin once more
// (do_spin) instead of parking.
bool can_spin(int iter);

// One round of active spinning: a few dozen CPU pause hints.
void do_spin();

}  // namespace gort::detail
