// group.cpp -- gort::Group (golang.org/x/sync/errgroup): a WaitGroup, a context
// cancelled on the first failure and by wait(), and errgroup's token channel for the
// limit.
//
// The state is shared by the Group object and every member (an intrusive count), so
// a member never outlives what it reports to: a Group destroyed with members running
// (an exception skipped its wait(), or main returned and teardown unwinds them) is
// still safe, and the last of them frees it.
//
// Invariants:
//   * A member holds one state reference and, under a limit, one token in the token
//     channel it entered through (its own handle to it: set_limit may install a new
//     channel meanwhile).  Go's order: a token is taken before wg.add(1), and given
//     back before wg.done(), so wait() never returns while a member holds a token.
//   * `first` is written once, under mu, before the context is cancelled; wait()
//     reads it after wg.wait(), which orders it after every member's done().
//
// Rejected alternatives:
//   * A Semaphore or a counter with a wait queue for the limit: errgroup's buffered
//     channel already gives blocking go(), non-blocking try_go and, through its
//     length, the active count that set_limit's panic reports.
//   * The state inline in Group, members pointing at the Group: a Group that is
//     destroyed before its members end (no wait(), or teardown) would leave them
//     writing to freed memory.
//   * Joining in ~Group (std::jthread's choice): a member that does not watch the
//     context would hang the destructor, possibly during unwinding.  Cancelling the
//     context is what errgroup users expect once the group's scope is gone.
//   * Capturing only std::exception: errgroup carries any error, and a C++ member may
//     throw anything; std::exception_ptr keeps the original object and type.
#include <gort/group.hpp>

#include <atomic>
#include <mutex>
#include <string>

#include <gort/panic.hpp>
#include <gort/waitgroup.hpp>

#include "../lock_futex.hpp"

namespace gort::detail {

struct GroupState {
  explicit GroupState(const Context& parent) : ctx(context_with_cancel(parent)) {}

  std::atomic<std::uint32_t> refs{1};  // the Group + one per member; atomics only
  WaitGroup wg;                        // members started and not yet done
  const Context ctx;                   // immutable handle: the group's context
  Lock mu;
  Chan<GroupToken> tokens GORT_GUARDED_BY(mu);  // the limit's token channel (capacity n); nil: no limit
  std::exception_ptr first GORT_GUARDED_BY(mu);  // the first member's exception
};

namespace {

void unref(GroupState* s) noexcept {
  if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}

}  // namespace

GroupMember GroupMember::enter(GroupState* s, bool block) {
  Chan<GroupToken> tokens;
  {
    LockGuard lk(s->mu);
    tokens = s->tokens;
  }
  if (tokens) {
    if (block)
      tokens.send(GroupToken{});  // parks while the limit is reached
    else if (!tokens.try_send(GroupToken{}))
      return GroupMember(nullptr, Chan<GroupToken>{});
  }
  try {
    s->wg.add(1);  // may panic on WaitGroup misuse (go() racing with the end of wait())
  } catch (...) {
    if (tokens) (void)tokens.try_recv();
    throw;
  }
  s->refs.fetch_add(1, std::memory_order_relaxed);
  return GroupMember(s, std::move(tokens));
}

GroupMember::~GroupMember() {
  if (s_ == nullptr) return;
  if (slot_) (void)slot_.try_recv();  // gives the token back (ours is there: never blocks)
  s_->wg.done();
  unref(s_);
}

void GroupMember::fail(std::exception_ptr e) noexcept {
  bool first;
  {
    LockGuard lk(s_->mu);
    first = !s_->first;
    if (first) s_->first = std::move(e);
  }
  if (first) context_cancel(s_->ctx);
}

}  // namespace gort::detail

namespace gort {

Group::Group() : Group(background()) {}

Group::Group(const Context& parent) : state_(new detail::GroupState(parent)) {}

Group::~Group() {
  detail::context_cancel(state_->ctx);
  detail::unref(state_);
}

void Group::wait() {
  state_->wg.wait();
  detail::context_cancel(state_->ctx);
  std::exception_ptr e;
  {
    detail::LockGuard lk(state_->mu);
    e = state_->first;
  }
  if (e) std::rethrow_exception(e);
}

Context Group::context() const { return state_->ctx; }

void Group::set_limit(int n) {
  Chan<detail::GroupToken> tokens;  // n < 0: nil, no limit
  if (n >= 0) tokens = make_chan<detail::GroupToken>(static_cast<std::size_t>(n));
  std::size_t active;
  {
    detail::LockGuard lk(state_->mu);
    active = state_->tokens.size();  // tokens held: members that entered under a limit
    if (n < 0 || active == 0) {
      std::swap(state_->tokens, tokens);
      return;  // (the old channel, if any, dies with `tokens` outside the lock)
    }
  }
  panic("errgroup: modify limit while " + std::to_string(active) + " goroutines in the group are still active");
}

}  // namespace gort
