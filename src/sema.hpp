// sema.hpp -- the semaphore park/wake core every blocking primitive of sync builds on.
// Design: sema.cpp.
#pragma once

#include <atomic>
#include <cstdint>

#include "runtime2.hpp"

namespace gort::detail {

// Waits until *addr > 0, then decrements it (Go's semacquire1).  lifo: queue at the
// front (a waiter that already waited long, Go's Mutex starvation hand-off).  Parks
// the goroutine, or blocks a thread that is not one.  Returns false only when
// teardown cancelled the wait of an abandoned goroutine that is already unwinding.
bool semacquire(std::atomic<std::uint32_t>* addr, bool lifo, WaitReason reason);

// Increments *addr and wakes one waiter (Go's semrelease1).  handoff: give the count
// straight to the woken waiter so that no newcomer can take it first.
void semrelease(std::atomic<std::uint32_t>* addr, bool handoff);

}  // namespace gort::detail
