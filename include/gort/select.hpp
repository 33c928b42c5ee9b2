// select.hpp -- Go's select statement: gort::select with on_recv, on_send, on_default.
//
//   switch (gort::select({gort::on_recv{results, [&](std::optional<Result> r) { use(r); }},
//                         gort::on_send{requests, next_request()},
//                         gort::on_recv{ctx.done()}})) {
//     case 0: ...   // select returns the chosen case's position in the list
//   }
//
//   // non-blocking receive: at most one value, never waits
//   gort::select({gort::on_recv{ch, [&](std::optional<int> v) { got = v; }}, gort::on_default{}});
//
// select blocks until one of its cases can proceed, performs that one case, runs its
// handler and returns its index (position in the list, on_default included).
// - on_recv{ch, handler}: ready when a value can be received or ch is closed; the
//   handler gets std::optional<T> (nullopt: closed and drained).  It may also take no
//   argument, or be omitted (the value is then dropped).  ch: Chan<T> or RecvChan<T>.
// - on_send{ch, value, handler}: ready when ch can take the value; handler() runs after
//   it was sent; it may be omitted.  If ch is closed, select panics "send on closed
//   channel", as a send would.  ch: Chan<T> or SendChan<T>; value converts to T.
//   A send case that is not chosen keeps its value; it is destroyed with the case.
// - on_default{handler}: makes select non-blocking; chosen when no other case is
//   ready at the moment select looks.  At most one.
// As in Go: each channel and value expression is evaluated exactly once, when the
// case is built (before select looks at any channel); among several ready cases one
// is chosen uniformly at random; a nil channel's case is never ready; a select with
// no case, or with only nil channels and no default, blocks forever.  Only the chosen
// case's handler runs, after every channel lock is released, so handlers may use
// channels freely.  Works from threads that are not goroutines (blocks the thread).
//
// Evaluation order.  Go evaluates the cases' channel and value expressions in source
// order.  C++ guarantees that order only inside braces: the elements of a braced list
// are evaluated first to last, even when they are constructor arguments.  So:
// - select({case, case, ...}), the braced form, evaluates its cases in source order
//   with every compiler, and so do the expressions inside a case written with braces,
//   on_send{ch, value} (channel first, then value), as in the examples above.
// - select(case, case, ...), the parenthesised form, and on_send(ch, value), take
//   them as function arguments, whose order C++ leaves to the compiler: g++ evaluates
//   them last to first, clang first to last.  Both forms are otherwise the same (the
//   parenthesised one rejects a second on_default at compile time, the braced one
//   panics "select: multiple defaults"); use the parenthesised form only when the
//   case expressions have no side effects that depend on each other.
//
// Cases are meant to be built inside the select call, as above: a case built from a
// named handle refers to it (which must outlive the select); one built from a
// temporary handle (gort::after(1s), ctx.done()) holds the channel itself.  A case
// can be neither copied nor moved.  Up to kSelectFrameCases (select.cpp) cases, a
// select does not allocate.
//
// At run() teardown, an abandoned goroutine that is already unwinding and blocks in a
// select (from a destructor) gets select() == number of cases, and no handler runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <type_traits>
#include <utility>

#include "chan.hpp"

namespace gort {

namespace detail {

struct NoHandler {};

template <class C>
struct ChanTraits {
  static constexpr bool kRecv = false, kSend = false;
};
template <class T>
struct ChanTraits<Chan<T>> {
  static constexpr bool kRecv = true, kSend = true;
};
template <class T>
struct ChanTraits<SendChan<T>> {
  static constexpr bool kRecv = false, kSend = true;
};
template <class T>
struct ChanTraits<RecvChan<T>> {
  static constexpr bool kRecv = true, kSend = false;
};
template <class C>
concept RecvChannel = ChanTraits<std::remove_cvref_t<C>>::kRecv;
template <class C>
concept SendChannel = ChanTraits<std::remove_cvref_t<C>>::kSend;

// A case's channel: borrowed from a named handle, owned when built from a temporary.
struct CaseChan {
  hchan* c;
  ChanHandle owner;
};
template <class C>
CaseChan case_chan(C&& ch) {
  hchan* c = ChanAccess::core(ch);
  if constexpr (std::is_lvalue_reference_v<C>)
    return {c, ChanHandle()};
  else if constexpr (std::is_const_v<std::remove_reference_t<C>>)
    return {c, ChanHandle(ch)};
  else
    return {c, ChanAccess::take(std::move(ch))};
}

template <class C>
using chan_value_t = typename std::remove_cvref_t<C>::value_type;

template <class H, class... Args>
concept CaseHandler = std::is_same_v<H, NoHandler> || std::is_invocable_v<H&, Args...>;

}  // namespace detail

// The three kinds of case.  They are class templates, so that a case can be written
// with braces, on_send{ch, value}, whose two expressions C++ then evaluates in source
// order, as it does the cases of select's braced list (see above); with parentheses,
// on_send(ch, value) means the same but leaves the order of its two arguments to the
// compiler.  A case is built for one select: it can be neither copied nor moved.

template <class T, class F = detail::NoHandler>
class on_recv {
 public:
  template <class C, class H = detail::NoHandler>
    requires detail::RecvChannel<C>
  on_recv(C&& ch, H&& handler = H{}) : ch_(detail::case_chan(std::forward<C>(ch))), f_(std::forward<H>(handler)) {
    static_assert(detail::CaseHandler<F, std::optional<T>> || detail::CaseHandler<F>,
                  "gort::on_recv: the handler must be callable with std::optional<T>, or with nothing");
  }
  on_recv(const on_recv&) = delete;
  on_recv& operator=(const on_recv&) = delete;

  void describe(detail::SelectCase& sc) noexcept { sc = detail::SelectCase{ch_.c, slot_.addr(), false}; }
  void complete(bool ok) {
    std::optional<T> v;
    if (ok) slot_.move_into(v);
    if constexpr (std::is_invocable_v<F&, std::optional<T>>)
      std::invoke(f_, std::move(v));
    else if constexpr (std::is_invocable_v<F&>)
      std::invoke(f_);
  }

 private:
  detail::CaseChan ch_;
  [[no_unique_address]] F f_;
  detail::ElemSlot<T> slot_;  // constructed by the core only when this case receives a value
};
template <class C>
on_recv(C&&) -> on_recv<detail::chan_value_t<C>>;
template <class C, class H>
on_recv(C&&, H&&) -> on_recv<detail::chan_value_t<C>, std::decay_t<H>>;

template <class T, class F = detail::NoHandler>
class on_send {
 public:
  template <class C, class V, class H = detail::NoHandler>
    requires detail::SendChannel<C>
  on_send(C&& ch, V&& value, H&& handler = H{})
      : ch_(detail::case_chan(std::forward<C>(ch))), value_(std::forward<V>(value)), f_(std::forward<H>(handler)) {
    static_assert(std::is_constructible_v<T, V>, "gort::on_send: the value must convert to the channel's type");
    static_assert(detail::CaseHandler<F>, "gort::on_send: the handler must be callable with no argument");
  }
  on_send(const on_send&) = delete;
  on_send& operator=(const on_send&) = delete;

  void describe(detail::SelectCase& sc) noexcept { sc = detail::SelectCase{ch_.c, std::addressof(value_), true}; }
  void complete(bool) {
    if constexpr (std::is_invocable_v<F&>) std::invoke(f_);
  }

 private:
  detail::CaseChan ch_;
  T value_;  // moved from by the core only if this case sends
  [[no_unique_address]] F f_;
};
template <class C, class V>
on_send(C&&, V&&) -> on_send<detail::chan_value_t<C>>;
template <class C, class V, class H>
on_send(C&&, V&&, H&&) -> on_send<detail::chan_value_t<C>, std::decay_t<H>>;

template <class F = detail::NoHandler>
class on_default {
 public:
  on_default() = default;
  template <class H>
    requires(!std::is_same_v<std::remove_cvref_t<H>, on_default>)
  explicit on_default(H&& handler) : f_(std::forward<H>(handler)) {
    static_assert(detail::CaseHandler<F>, "gort::on_default: the handler must be callable with no argument");
  }
  on_default(const on_default&) = delete;
  on_default& operator=(const on_default&) = delete;

  void complete(bool) {
    if constexpr (std::is_invocable_v<F&>) std::invoke(f_);
  }

 private:
  [[no_unique_address]] F f_;
};
template <class H>
on_default(H&&) -> on_default<std::decay_t<H>>;

namespace detail {

template <class X>
struct CaseKind {
  static constexpr bool kCase = false, kDefault = false;
};
template <class T, class F>
struct CaseKind<on_recv<T, F>> {
  static constexpr bool kCase = true, kDefault = false;
};
template <class T, class F>
struct CaseKind<on_send<T, F>> {
  static constexpr bool kCase = true, kDefault = false;
};
template <class F>
struct CaseKind<on_default<F>> {
  static constexpr bool kCase = true, kDefault = true;
};
template <class X>
concept SelectCaseObject = CaseKind<std::remove_cvref_t<X>>::kCase && !std::is_const_v<std::remove_reference_t<X>>;

// One case of a select, type-erased: what the core (select_cases) sees of it.  Binds
// to the case object, which outlives it: a temporary case lives until the end of the
// full expression that holds the select call.  The channel case's SelectCase record
// is taken at once (no call back into the case before it completes).
class SelectCaseRef {
 public:
  template <SelectCaseObject C>
  SelectCaseRef(C&& c) noexcept  // implicit: the elements of select's braced list
      : case_(std::addressof(c)), complete_(&complete_fn<std::remove_cvref_t<C>>) {
    if constexpr (CaseKind<std::remove_cvref_t<C>>::kDefault)
      is_default_ = true;  // sc_ keeps its nil channel: the core never finds it ready
    else
      c.describe(sc_);
  }

  bool is_default() const noexcept { return is_default_; }
  const SelectCase& channel_case() const noexcept { return sc_; }
  void complete(bool recv_ok) const { complete_(case_, recv_ok); }

 private:
  template <class X>
  static void complete_fn(void* x, bool recv_ok) {
    static_cast<X*>(x)->complete(recv_ok);
  }

  SelectCase sc_{nullptr, nullptr, false};
  void* case_;
  void (*complete_)(void*, bool);
  bool is_default_ = false;
};

// The one implementation of both forms of select (src/select.cpp): runs selectgo on
// the cases' records, completes the chosen case.  Panics "select: multiple
// defaults" when more than one case is on_default.
std::size_t select_cases(const SelectCaseRef* cases, std::size_t n);

}  // namespace detail

// The braced form: the cases are evaluated in source order, whatever the compiler.
inline std::size_t select(std::initializer_list<detail::SelectCaseRef> cases) {
  return detail::select_cases(cases.begin(), cases.size());
}

// The parenthesised form: the cases are function arguments, evaluated in an order
// the compiler chooses (g++: last to first).  Kept for existing code; a second
// on_default is a compile-time error here.
template <class... Cases>
std::size_t select(Cases&&... cases) {
  static_assert((detail::SelectCaseObject<Cases> && ...),
                "gort::select: every argument must be an on_recv, on_send or on_default case");
  static_assert((std::size_t{detail::CaseKind<std::remove_cvref_t<Cases>>::kDefault} + ... + 0) <= 1,
                "gort::select: at most one on_default");
  if constexpr (sizeof...(Cases) == 0) {
    return detail::select_cases(nullptr, 0);
  } else {
    const detail::SelectCaseRef refs[] = {cases...};
    return detail::select_cases(refs, sizeof...(Cases));
  }
}

}  // namespace gort
