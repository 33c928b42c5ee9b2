// detail/unwind.hpp -- exceptions the runtime uses to unwind a stack on purpose.
//
// They do not derive from std::exception, so `catch (const std::exception&)` in user
// code lets them pass; gort::recover() rethrows them.  Code that catches `...` must
// rethrow, as with abi::__forced_unwind.
#pragma once

namespace gort::detail {

struct ForcedUnwind {};
struct GoexitUnwind : ForcedUnwind {};     // gort::goexit()
struct AbandonUnwind : ForcedUnwind {};    // run() ended while this goroutine was alive
struct CoroutineUnwind : ForcedUnwind {};  // a suspended Coroutine is being destroyed

// True from the moment main's goroutine returned until run() returns: the goroutines
// still alive are being unwound (AbandonUnwind), in no particular order.
bool run_abandoning() noexcept;

}  // namespace gort::detail
