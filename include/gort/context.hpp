// context.hpp -- gort::Context (Go's context package): cancellation and deadlines
// that flow down a tree of goroutines.
//
//   auto [ctx, cancel] = gort::with_timeout(gort::background(), 2s);
//   gort::go([ctx] {
//     for (;;) {
//       switch (gort::select(gort::on_recv(ctx.done()), gort::on_recv(jobs, handle))) {
//         case 0: return;            // cancelled or timed out: ctx.err() says which
//         case 1: continue;
//       }
//     }
//   });
//   ...
//   cancel();                        // idempotent; may be called from any thread
//
// Semantics are Go's (context.go):
// - background() is the root: never cancelled, no deadline, done() is the nil channel
//   (its select case is never ready).  A default-constructed Context is background().
// - with_cancel(parent) makes a child that is cancelled when its CancelFunc is called
//   or when its parent is cancelled, whichever comes first.  Cancelling a context
//   cancels every descendant, exactly once; it never affects the parent or siblings.
//   A child of a context that is already cancelled is born cancelled, with the
//   parent's err().
// - with_deadline(parent, t) is also cancelled, with errc::deadline_exceeded, when t
//   passes; with_timeout(parent, d) is with_deadline(parent, now + d).  A child never
//   outlives its parent's earlier deadline: deadline() is the earlier of the two, and
//   every context inherits its parent's deadline (with_cancel too).  Descendants of a
//   context that timed out report deadline_exceeded.  A deadline that has already
//   passed gives a context born cancelled with deadline_exceeded.
// - done() is closed when the context is cancelled (a receive returns nullopt at
//   once, for every receiver), so it composes with select.
// - err() is empty ({}, false in a boolean test) while the context is live, then
//   errc::canceled or errc::deadline_exceeded for good: the first cause wins, and
//   once done() is closed err() is non-empty.  Compare with `ctx.err() ==
//   gort::errc::canceled`; deadline_exceeded also compares equal to
//   std::errc::timed_out and canceled to std::errc::operation_canceled.
// - A Context is a shared handle, like Chan: copies are cheap and refer to the same
//   context; all members are const and thread-safe (as for Chan, share a context by
//   giving each goroutine its own copy, not by sharing one handle object).
//
// Lifetime (gort's addition; Go relies on its garbage collector and `go vet`):
// dropping handles never cancels a context; only its CancelFunc, its parent or its
// deadline do.  A done() channel keeps alive what it needs to be closed on time: the
// deadline timer, and the context's place under its parent (and theirs up the tree),
// so holding only `with_timeout(parent, d).first.done()` still sees it close after d,
// with err() deadline_exceeded for anyone who kept a Context.  Once no Context,
// CancelFunc, done() channel or live descendant refers to a context, nobody can
// observe it: it is freed without being cancelled, and leaves its parent's child set.
// So many short-lived children of one long-lived parent cost nothing once dropped,
// even if their CancelFunc is never called.
//
// Cost: with_cancel allocates the context (one 64-byte block; 120 bytes for a
// deadline context, timer included) and, std::function being what it is, the
// CancelFunc's state; done() allocates the channel on first use only.  Creating a
// child locks its parent briefly; cancelling a tree is linear in its size and needs
// no stack depth (very deep chains are fine).  Timers (with_timeout, with_deadline)
// need a running gort::run, unless the deadline has passed or a parent's deadline is
// earlier anyway; the rest works on any thread, inside or outside run().  A timer
// still pending when run() ends is dropped: such a context is never cancelled by it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

#include "chan.hpp"
#include "time.hpp"

namespace gort {

// Why a context was cancelled (Go's context.Canceled and context.DeadlineExceeded).
enum class errc {
  canceled = 1,       // "context canceled": its (or an ancestor's) CancelFunc
  deadline_exceeded,  // "context deadline exceeded": its (or an ancestor's) deadline passed
};

// The std::error_category of gort::errc; name() is "gort".
const std::error_category& gort_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), gort_category()}; }

// The element type of done(): nothing is ever sent, the channel is only closed.
struct Done {};

namespace detail {
struct ContextNode;  // src/context.cpp
}

class Context {
 public:
  Context() noexcept = default;  // background()
  Context(const Context& other) noexcept;
  Context(Context&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  Context& operator=(Context other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~Context();

  // Closed when the context is cancelled; the nil channel for background().  The
  // same channel every time; holding it keeps the context able to end (see Lifetime).
  RecvChan<Done> done() const;
  // {} while live; then errc::canceled or errc::deadline_exceeded, for good.
  std::error_code err() const;
  // When the context will be cancelled by a deadline (its own or an ancestor's).
  std::optional<Clock::time_point> deadline() const;

 private:
  friend struct detail::ContextNode;
  explicit Context(detail::ContextNode* adopt) noexcept : node_(adopt) {}
  detail::ContextNode* node_ = nullptr;  // null: background()
};

// The root of every context tree.
inline Context background() noexcept { return Context(); }

// Cancels its context (and every descendant) with errc::canceled; does nothing if it
// was cancelled already.  May be copied and called from any thread.
using CancelFunc = std::function<void()>;

std::pair<Context, CancelFunc> with_cancel(const Context& parent);
std::pair<Context, CancelFunc> with_deadline(const Context& parent, Clock::time_point t);
std::pair<Context, CancelFunc> with_timeout(const Context& parent, Clock::duration d);

namespace detail {
// For gort::Group: a with_cancel child without a CancelFunc (no std::function to
// allocate), and its cancel.
Context context_with_cancel(const Context& parent);
void context_cancel(const Context& ctx) noexcept;
// For tests: how many children are registered in ctx's child set now.
std::size_t context_child_count(const Context& ctx);
}  // namespace detail

}  // namespace gort

template <>
struct std::is_error_code_enum<gort::errc> : std::true_type {};
