// select.hpp -- Go's select statement: gort::select with on_recv, on_send, on_default.
//
//   switch (gort::select(gort::on_recv(results, [&](std::optional<Result> r) { use(r); }),
//                        gort::on_send(requests, next_request()),
//                        gort::on_recv(ctx.done()))) {
//     case 0: ...   // select returns the chosen case's argument position
//   }
//
//   // non-blocking receive: at most one value, never waits
//   gort::select(gort::on_recv(ch, [&](std::optional<int> v) { got = v; }), gort::on_default());
//
// select blocks until one of its cases can proceed, performs that one case, runs its
// handler and returns its index (argument position, on_default included).
// - on_recv(ch, handler): ready when a value can be received or ch is closed; the
//   handler gets std::optional<T> (nullopt: closed and drained).  It may also take no
//   argument, or be omitted (the value is then dropped).  ch: Chan<T> or RecvChan<T>.
// - on_send(ch, value, handler): ready when ch can take the value; handler() runs after
//   it was sent; it may be omitted.  If ch is closed, select panics "send on closed
//   channel", as a send would.  ch: Chan<T> or SendChan<T>; value converts to T.
//   A send case that is not chosen keeps its value; it is destroyed with the case.
// - on_default(handler): makes select non-blocking; chosen when no other case is
//   ready at the moment select looks.  At most one.
// As in Go: each channel and value expression is evaluated exactly once, when the
// case is built (before select looks at any channel); among several ready cases one
// is chosen uniformly at random; a nil channel's case is never ready; a select with
// no case, or with only nil channels and no default, blocks forever.  Only the chosen
// case's handler runs, after every channel lock is released, so handlers may use
// channels freely.  Works from threads that are not goroutines (blocks the thread).
//
// Cases are meant to be built inside the select call, as above: a case built from a
// named handle refers to it (which must outlive the select); one built from a
// temporary handle (gort::after(1s), ctx.done()) holds the channel itself.
//
// At run() teardown, an abandoned goroutine that is already unwinding and blocks in a
// select (from a destructor) gets select() == number of cases, and no handler runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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

template <class T, class F>
class RecvCase {
 public:
  RecvCase(CaseChan ch, F f) : ch_(std::move(ch)), f_(std::move(f)) {}
  RecvCase(const RecvCase&) = delete;
  RecvCase& operator=(const RecvCase&) = delete;

  void describe(SelectCase& sc) noexcept { sc = SelectCase{ch_.c, slot_.addr(), false}; }
  void complete(bool ok) {
    std::optional<T> v;
    if (ok) slot_.move_into(v);
    if constexpr (std::is_invocable_v<F&, std::optional<T>>)
      std::invoke(f_, std::move(v));
    else if constexpr (std::is_invocable_v<F&>)
      std::invoke(f_);
  }

 private:
  CaseChan ch_;
  [[no_unique_address]] F f_;
  ElemSlot<T> slot_;  // constructed by the core only when this case receives a value
};

template <class T, class F>
class SendCase {
 public:
  template <class V>
  SendCase(CaseChan ch, V&& v, F f) : ch_(std::move(ch)), value_(std::forward<V>(v)), f_(std::move(f)) {}
  SendCase(const SendCase&) = delete;
  SendCase& operator=(const SendCase&) = delete;

  void describe(SelectCase& sc) noexcept { sc = SelectCase{ch_.c, std::addressof(value_), true}; }
  void complete(bool) {
    if constexpr (std::is_invocable_v<F&>) std::invoke(f_);
  }

 private:
  CaseChan ch_;
  T value_;  // moved from by the core only if this case sends
  [[no_unique_address]] F f_;
};

template <class F>
class DefaultCase {
 public:
  explicit DefaultCase(F f) : f_(std::move(f)) {}
  DefaultCase(const DefaultCase&) = delete;
  DefaultCase& operator=(const DefaultCase&) = delete;

  void complete(bool) {
    if constexpr (std::is_invocable_v<F&>) std::invoke(f_);
  }

 private:
  [[no_unique_address]] F f_;
};

template <class X>
struct CaseKind {
  static constexpr bool kCase = false, kDefault = false;
};
template <class T, class F>
struct CaseKind<RecvCase<T, F>> {
  static constexpr bool kCase = true, kDefault = false;
};
template <class T, class F>
struct CaseKind<SendCase<T, F>> {
  static constexpr bool kCase = true, kDefault = false;
};
template <class F>
struct CaseKind<DefaultCase<F>> {
  static constexpr bool kCase = true, kDefault = true;
};
template <class X>
inline constexpr bool kIsDefault = CaseKind<std::remove_cvref_t<X>>::kDefault;

// Where selectgo's arrays live: the select's own frame (no allocation).
template <std::size_t N>
struct SelectFrame {
  SelectCase cases[N];
  std::uint16_t order[2 * N];
  SudogSlot sudogs[N];
};

template <class... Cases>
constexpr std::size_t default_position() {
  constexpr bool is_default[] = {kIsDefault<Cases>..., false};
  for (std::size_t i = 0; i < sizeof...(Cases); ++i)
    if (is_default[i]) return i;
  return sizeof...(Cases);
}

}  // namespace detail

template <class C, class F = detail::NoHandler>
  requires detail::RecvChannel<C>
auto on_recv(C&& ch, F&& handler = F{}) {
  using T = typename std::remove_cvref_t<C>::value_type;
  using H = std::decay_t<F>;
  static_assert(std::is_same_v<H, detail::NoHandler> || std::is_invocable_v<H&, std::optional<T>> ||
                    std::is_invocable_v<H&>,
                "gort::on_recv: the handler must be callable with std::optional<T>, or with nothing");
  return detail::RecvCase<T, H>(detail::case_chan(std::forward<C>(ch)), std::forward<F>(handler));
}

template <class C, class V, class F = detail::NoHandler>
  requires detail::SendChannel<C>
auto on_send(C&& ch, V&& value, F&& handler = F{}) {
  using T = typename std::remove_cvref_t<C>::value_type;
  using H = std::decay_t<F>;
  static_assert(std::is_constructible_v<T, V>, "gort::on_send: the value must convert to the channel's type");
  static_assert(std::is_same_v<H, detail::NoHandler> || std::is_invocable_v<H&>,
                "gort::on_send: the handler must be callable with no argument");
  return detail::SendCase<T, H>(detail::case_chan(std::forward<C>(ch)), std::forward<V>(value),
                                std::forward<F>(handler));
}

template <class F = detail::NoHandler>
auto on_default(F&& handler = F{}) {
  using H = std::decay_t<F>;
  static_assert(std::is_same_v<H, detail::NoHandler> || std::is_invocable_v<H&>,
                "gort::on_default: the handler must be callable with no argument");
  return detail::DefaultCase<H>(std::forward<F>(handler));
}

template <class... Cases>
std::size_t select(Cases&&... cases) {
  static_assert((detail::CaseKind<std::remove_cvref_t<Cases>>::kCase && ...),
                "gort::select: every argument must be an on_recv, on_send or on_default case");
  constexpr std::size_t kCases = sizeof...(Cases);
  constexpr std::size_t kDefaults = (std::size_t{detail::kIsDefault<Cases>} + ... + 0);
  static_assert(kDefaults <= 1, "gort::select: at most one on_default");
  if constexpr (kCases == 0) {
    detail::block_forever();
    return 0;
  } else if constexpr (kCases == kDefaults) {
    (cases.complete(false), ...);
    return 0;
  } else {
    constexpr std::size_t n = kCases - kDefaults;  // channel cases
    constexpr std::size_t default_pos = detail::default_position<Cases...>();
    detail::SelectFrame<n> frame;
    std::size_t k = 0;
    (
        [&] {
          if constexpr (!detail::kIsDefault<Cases>) cases.describe(frame.cases[k++]);
        }(),
        ...);
    detail::SelectResult r = detail::selectgo(frame.cases, frame.order, frame.sudogs, n, kDefaults == 0);
    std::size_t chosen;
    if (r.index == n) {
      if constexpr (kDefaults == 0) return kCases;  // teardown of an unwinding goroutine
      chosen = default_pos;
    } else {
      chosen = r.index < default_pos ? r.index : r.index + 1;
    }
    std::size_t i = 0;
    ((i++ == chosen ? cases.complete(r.recv_ok) : void()), ...);
    return chosen;
  }
}

}  // namespace gort
