// panic.hpp -- panic, recover, defer.
//
//   auto p = gort::recover([&] { risky(); });    // std::optional<gort::Panic>
//   if (p) log(p->what());
//
//   gort::defer close_it{[&] { file.close(); }};  // runs at scope exit, unwinding too
//
// gort::panic(msg) throws gort::Panic.  recover(f) runs f and returns the panic that
// escaped it, or nullopt: a gort::Panic as it was, any other exception wrapped in a
// Panic whose what() contains the original message (or, for a non-std::exception,
// its value or type) and whose cause() holds the original.  goexit and the runtime's
// own unwinding pass through recover untouched.
//
// An exception that escapes a goroutine's function -- any exception, not only Panic --
// is an unrecovered panic: after the goroutine's destructors and defers have run, the
// runtime prints `panic: <what()>` (with the type for a non-Panic exception), a blank
// line, `goroutine <id> [running]:` and where the goroutine was created, to stderr, and
// ends the process with exit status 2, as Go does.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "detail/unwind.hpp"

namespace gort {

class Panic : public std::exception {
 public:
  explicit Panic(std::string message);
  Panic(std::string message, std::exception_ptr cause);
  const char* what() const noexcept override;
  std::exception_ptr cause() const;  // the original exception when wrapped by recover()

 private:
  std::shared_ptr<const std::string> message_;  // shared: copying an exception must not throw
  std::exception_ptr cause_;
};

[[noreturn]] void panic(std::string message);

namespace detail {
Panic panic_from_current_exception();  // inside a catch block
// Inside recover's catch block: the panic recovered -- the latest one raised by a
// deferred call while the caught exception unwound, else the caught exception itself.
Panic recovered_panic();
// Inside a defer's catch block: its function threw while another exception unwound
// the stack; recorded as the panic that replaces it (Go's panic chain, panic.cpp).
void defer_panicked(std::exception_ptr e) noexcept;
}  // namespace detail

template <class F>
std::optional<Panic> recover(F&& f) {
  try {
    std::invoke(std::forward<F>(f));
    return std::nullopt;
  } catch (const detail::ForcedUnwind&) {
    throw;
  } catch (...) {
    return detail::recovered_panic();
  }
}

// Runs f when the scope ends, normally or by an exception (Go's defer, scoped to the
// enclosing block).
//
// A panic raised by f while an exception unwinds the stack replaces it, as in Go.  C++
// cannot throw it from a destructor that runs during unwinding (that would call
// std::terminate), so the exception in flight goes on unwinding -- it runs the same
// defers the new panic would -- and the runtime records the new panic against it:
// - a recover() that catches it returns the latest panic, as Go's recover does;
// - unrecovered, the report lists the chain as Go's printpanics does, oldest first,
//   each later one on its own line after a tab:
//       panic: hello
//       	panic: panic pt2
//   (for a goroutine that was in goexit, only the panics).
// A goexit() from f while a panic unwinds is ignored: the panic goes on.
template <class F>
class defer {
 public:
  explicit defer(F f) : f_(std::move(f)), uncaught_(std::uncaught_exceptions()) {}
  defer(const defer&) = delete;
  defer& operator=(const defer&) = delete;
  ~defer() noexcept(false) {
    if (std::uncaught_exceptions() > uncaught_) {
      try {
        f_();
      } catch (...) {
        detail::defer_panicked(std::current_exception());
      }
    } else {
      f_();
    }
  }

 private:
  F f_;
  int uncaught_;
};
template <class F>
defer(F) -> defer<F>;

}  // namespace gort
