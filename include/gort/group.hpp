// group.hpp -- gort::Group (golang.org/x/sync/errgroup): fork-join that carries failure.
//
//   gort::Group g(ctx);                          // or gort::Group g; (under background())
//   g.set_limit(8);                              // optional: at most 8 members at once
//   for (auto& url : urls)
//     g.go([c = g.context()](std::string u) { fetch(c, u); }, url);
//   g.wait();                                    // rethrows the first member's exception
//
// - go(f, args...) starts f(args...) in a new goroutine, a member of the group.  f and
//   args are decay-copied, as by gort::go (up to five arguments; the call site is
//   recorded).  With a limit set, go() first waits (parks) until fewer than the limit
//   of members are running.  Members may start further members.
// - An exception that escapes a member -- any type, gort::Panic included -- is not an
//   unrecovered panic: the group captures it.  The first one is kept; it cancels the
//   group's context at once (so that the other members can stop early), and wait()
//   rethrows it as it was thrown (std::rethrow_exception: same object, same type).
//   Later exceptions are dropped.  goexit() in a member ends it without an error.
// - wait() blocks until every member has returned and everything passed to go() is
//   destroyed, cancels the group's context (even on success: it is a per-call
//   context), then rethrows the first exception, if any, every time it is called.
// - context() is a child of the parent given to the constructor: cancelled by the
//   parent, by the first failure, or once wait() returns.  Pass it to the members.
// - set_limit(n): at most n members run at once; go() blocks beyond it; n < 0 removes
//   the limit (the default).  Changing the limit while members that entered under a
//   limit still run panics "errgroup: modify limit while N goroutines in the group
//   are still active", as Go does.  set_limit(0) makes every go() block forever.
// - try_go(f, args...) starts a member only if that does not have to wait for the
//   limit; otherwise it returns false and leaves f and args alone.
//
// All members are callable from goroutines and from threads that are not goroutines
// (which then block instead of parking).  A Group is not copyable; its members share
// its state, so destroying a Group while members still run is safe: the destructor
// does not join -- it cancels the context (so that members watching it stop) and lets
// them finish on their own, their exceptions dropped.  Call wait() to join.
#pragma once

#include <exception>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "chan.hpp"
#include "context.hpp"
#include "detail/spawn.hpp"
#include "detail/unwind.hpp"

namespace gort {

namespace detail {

struct GroupState;  // src/sync/group.cpp
struct GroupToken {};

// One member's hold on its group: a reference to the shared state and its slot under
// the limit.  Destroying an entered GroupMember ends the membership (frees the slot,
// counts the member done).  Move-only; the moved-from object holds nothing.
class GroupMember {
 public:
  // Joins s as a new member, waiting for a slot under the limit if `block`; an empty
  // GroupMember when !block and no slot is free.
  static GroupMember enter(GroupState* s, bool block);
  GroupMember(GroupMember&& o) noexcept : s_(std::exchange(o.s_, nullptr)), slot_(std::move(o.slot_)) {}
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;
  ~GroupMember();

  explicit operator bool() const noexcept { return s_ != nullptr; }
  // Records the member's exception (the group keeps the first) and cancels the context.
  void fail(std::exception_ptr e) noexcept;

 private:
  GroupMember(GroupState* s, Chan<GroupToken> slot) noexcept : s_(s), slot_(std::move(slot)) {}
  GroupState* s_ = nullptr;
  Chan<GroupToken> slot_;  // the limit's token channel it holds a token of; nil: no limit
};

}  // namespace detail

class Group {
 public:
  Group();
  explicit Group(const Context& parent);
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  ~Group();  // cancels context(); does not wait for the members

  // Overloads instead of one variadic template, so that the call site is recorded.
  template <class F>
  void go(F&& f, detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, true, std::forward<F>(f));
  }
  template <class F, class A1>
  void go(F&& f, A1&& a1, detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, true, std::forward<F>(f), std::forward<A1>(a1));
  }
  template <class F, class A1, class A2>
  void go(F&& f, A1&& a1, A2&& a2, detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, true, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2));
  }
  template <class F, class A1, class A2, class A3>
  void go(F&& f, A1&& a1, A2&& a2, A3&& a3,
          detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, true, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3));
  }
  template <class F, class A1, class A2, class A3, class A4>
  void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4,
          detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, true, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3),
          std::forward<A4>(a4));
  }
  template <class F, class A1, class A2, class A3, class A4, class A5>
  void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5,
          detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, true, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3),
          std::forward<A4>(a4), std::forward<A5>(a5));
  }

  // errgroup's TryGo: like go(), but false instead of waiting for the limit.
  template <class F>
  bool try_go(F&& f, detail::CallSite site = GORT_CALL_SITE_HERE) {
    return go_at(site, false, std::forward<F>(f));
  }
  template <class F, class A1>
  bool try_go(F&& f, A1&& a1, detail::CallSite site = GORT_CALL_SITE_HERE) {
    return go_at(site, false, std::forward<F>(f), std::forward<A1>(a1));
  }
  template <class F, class A1, class A2>
  bool try_go(F&& f, A1&& a1, A2&& a2,
              detail::CallSite site = GORT_CALL_SITE_HERE) {
    return go_at(site, false, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2));
  }
  template <class F, class A1, class A2, class A3>
  bool try_go(F&& f, A1&& a1, A2&& a2, A3&& a3,
              detail::CallSite site = GORT_CALL_SITE_HERE) {
    return go_at(site, false, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3));
  }
  template <class F, class A1, class A2, class A3, class A4>
  bool try_go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4,
              detail::CallSite site = GORT_CALL_SITE_HERE) {
    return go_at(site, false, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3),
                 std::forward<A4>(a4));
  }
  template <class F, class A1, class A2, class A3, class A4, class A5>
  bool try_go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5,
              detail::CallSite site = GORT_CALL_SITE_HERE) {
    return go_at(site, false, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3),
                 std::forward<A4>(a4), std::forward<A5>(a5));
  }

  void wait();                // joins every member, cancels context(), rethrows the first exception
  Context context() const;    // cancelled by the parent, the first failure, or wait()
  void set_limit(int n);      // at most n members at once (n < 0: no limit)

 private:
  template <class F, class... A>
  bool go_at(const detail::CallSite& site, bool block, F&& f, A&&... a) {
    if constexpr (detail::go_callable<F, A...>())
      return go_checked(site, block, std::forward<F>(f), std::forward<A>(a)...);
    else
      return false;
  }
  template <class F, class... A>
  bool go_checked(const detail::CallSite& site, bool block, F&& f, A&&... a) {
    detail::check_go_func(f, site);
    detail::GroupMember member = detail::GroupMember::enter(state_, block);
    if (!member) return false;
    // If spawning throws, the membership ends with whichever GroupMember holds it.
    detail::spawn(
        site,
        [](detail::GroupMember&& m, std::decay_t<F>&& fn, std::decay_t<A>&&... args) {
          // Declared first, so destroyed last: the membership ends after fn and args
          // are destroyed (when wait() returns, everything passed to go() is gone).
          detail::GroupMember self(std::move(m));
          std::decay_t<F> local_fn(std::move(fn));
          std::tuple<std::decay_t<A>...> local_args(std::move(args)...);
          try {
            std::apply([&](auto&... xs) { std::invoke(std::move(local_fn), std::move(xs)...); }, local_args);
          } catch (const detail::ForcedUnwind&) {
            throw;  // goexit, or run() ending: not a failure
          } catch (...) {
            self.fail(std::current_exception());
          }
        },
        std::move(member), std::forward<F>(f), std::forward<A>(a)...);
    return true;
  }

  detail::GroupState* state_;  // shared with the members; never null
};

}  // namespace gort
