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
[[noreturn]] void fatal_panic_in_defer(std::exception_ptr e);
}  // namespace detail

template <class F>
std::optional<Panic> recover(F&& f) {
  try {
    std::invoke(std::forward<F>(f));
    return std::nullopt;
  } catch (const Panic& p) {
    return p;
  } catch (const detail::ForcedUnwind&) {
    throw;
  } catch (...) {
    return detail::panic_from_current_exception();
  }
}

// Runs f when the scope ends, normally or by an exception (Go's defer, scoped to the
// enclosing block).  An exception thrown by f while another one is unwinding the
// stack cannot propagate in C++; it is reported as a panic during panicking and the
// process exits with status 2.
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
        detail::fatal_panic_in_defer(std::current_exception());
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
