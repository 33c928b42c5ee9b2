// detail/spawn.hpp -- how `go` hands a function and its arguments to the runtime.
//
// The template part only builds the goroutine's frame -- the decay-copied function and
// arguments -- in storage the runtime reserved inside the new G (or on the heap when
// it is large), and passes one function pointer that runs or destroys it.  Everything
// else is type-erased in src/proc.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#if __has_include(<source_location>)
#include <source_location>
#endif
#include <tuple>
#include <type_traits>
#include <utility>

namespace gort::detail {

struct G;

enum class FrameOp : std::uint8_t { kRun, kDestroy };  // kRun: invoke, then destroy
using FrameFn = void (*)(void* frame, FrameOp op);

// Where a goroutine was started.  Filled by default arguments at the call site:
//   void f(..., CallSite site = GORT_CALL_SITE_HERE)
// which g++ and clang both evaluate at the caller (a braced list: g++ 12 evaluates
// the builtins of an explicit `CallSite{...}` where the default argument is written).  The function is
// std::source_location's where the standard library has it (g++ 11+, clang 15+): g++
// names a lambda by its enclosing function ("main()::<lambda()>"), so a report can
// say which lambda made the goroutine.  Elsewhere (clang 14, which lacks
// __builtin_source_location) __builtin_FUNCTION, which names a lambda "operator()".
// Reports print the short form (src/funcname.hpp).
struct CallSite {
  const char* file = nullptr;
  const char* function = nullptr;
  std::uint32_t line = 0;
};

}  // namespace gort::detail

#if defined(__cpp_lib_source_location)
#define GORT_CALL_SITE_HERE \
  { __builtin_FILE(), std::source_location::current().function_name(), __builtin_LINE() }
#else
#define GORT_CALL_SITE_HERE \
  { __builtin_FILE(), __builtin_FUNCTION(), __builtin_LINE() }
#endif

namespace gort::detail {

struct SpawnSlot {
  G* g;            // null: the runtime is ending, the goroutine is abandoned at birth
  void* frame;
  std::size_t align;
};

// Go's newproc: `go f()` with a nil f is "fatal error: go of nil func value", raised
// in the goroutine that calls go, with the call site as its stack (panic.cpp).
[[noreturn]] void fatal_go_of_nil_func(const CallSite& site);

// Whether f is a nil function: a null pointer (to function, member or object), or an
// object that says so by converting to false (an empty std::function).  Closures and
// other function objects that cannot be tested are never nil.
template <class F>
constexpr bool is_nil_func(const F& f) noexcept {
  if constexpr (std::is_function_v<F>)
    return false;  // a function named directly
  else if constexpr (std::is_pointer_v<F> || std::is_member_pointer_v<F>)
    return f == nullptr;
  else if constexpr (std::is_constructible_v<bool, const F&>)
    return !static_cast<bool>(f);
  else
    return false;
}

// The one check of every spawning entry point (go, WaitGroup::go, Group::go), made
// before anything else happens: no goroutine, no counter change.
template <class F>
void check_go_func(const F& f, const CallSite& site) {
  if (is_nil_func(f)) [[unlikely]]
    fatal_go_of_nil_func(site);
}

// Throws std::logic_error outside run().
SpawnSlot newproc_reserve(std::size_t size, std::size_t align);
void newproc_commit(SpawnSlot slot, FrameFn fn, const CallSite& site);
void newproc_abort(SpawnSlot slot);  // constructing the frame threw

template <class Fn, class... Args>
struct GoFrame {
  std::tuple<Fn, Args...> call;

  template <class F, class... A>
  explicit GoFrame(F&& f, A&&... a) : call(std::forward<F>(f), std::forward<A>(a)...) {}

  static void run(void* p, FrameOp op) {
    auto* self = static_cast<GoFrame*>(p);
    struct Destroy {
      GoFrame* frame;
      ~Destroy() { frame->~GoFrame(); }
    } destroy{self};
    if (op == FrameOp::kRun) {
      // Like std::thread: the copies are passed as rvalues.
      std::apply([](Fn& fn, Args&... args) { std::invoke(std::move(fn), std::move(args)...); }, self->call);
    }
  }
};

// The one check of every way to start a goroutine (gort::go, WaitGroup::go,
// Group::go): f(args...) must be callable with the decay-copies of the arguments,
// passed as rvalues.  Use it as
//   if constexpr (detail::go_callable<F, A...>()) { ...spawn... }
// so that a wrong call is this one static_assert, without the cascade of errors
// that instantiating the spawn would add.
template <class F, class... Args>
consteval bool go_callable() {
  constexpr bool ok = std::is_invocable_v<std::decay_t<F>, std::decay_t<Args>...>;
  static_assert(ok,
                "gort::go / WaitGroup::go / Group::go: f cannot be called with these arguments: they are "
                "decay-copied and passed as rvalues, so a T& parameter cannot bind them (take T or const T&, "
                "or pass std::ref(x) to share x)");
  return ok;
}

template <class F, class... Args>
void spawn(const CallSite& site, F&& f, Args&&... args) {
  if constexpr (go_callable<F, Args...>()) {
    using Frame = GoFrame<std::decay_t<F>, std::decay_t<Args>...>;
    check_go_func(f, site);
    SpawnSlot slot = newproc_reserve(sizeof(Frame), alignof(Frame));
    try {
      ::new (slot.frame) Frame(std::forward<F>(f), std::forward<Args>(args)...);
    } catch (...) {
      newproc_abort(slot);
      throw;
    }
    newproc_commit(slot, &Frame::run, site);
  }
}

}  // namespace gort::detail
