// coroutine.hpp -- gort::Coroutine: a stackful coroutine with explicit suspend/resume.
//
//   gort::Coroutine co([](gort::Coroutine::Yield& yield) {
//     step_one();
//     yield();           // back to whoever called resume()
//     step_two();
//   });
//   co.resume();         // runs step_one, returns true (suspended)
//   co.resume();         // runs step_two, returns false (finished)
//
// No scheduler is involved: the body runs on the thread that calls resume(), inside
// or outside gort::run, on its own stack from the runtime's pool (guarded like a
// goroutine's; stack_size 0 means $GORT_STACK_SIZE, else 256 KiB).  The body does not
// start before the first resume().  An exception escaping the body ends the coroutine
// and is rethrown by that resume().  Destroying a suspended coroutine unwinds its
// stack: the pending yield() throws an internal exception (not a std::exception) that
// runs the body's destructors and must not be swallowed by a catch (...) that does not
// rethrow.  Move-only.  A coroutine resumed from a goroutine may block that goroutine
// (channel operations, sleep, ...) like any of its code.  When the stack cannot be
// reserved (address space exhausted: RLIMIT_AS, vm.max_map_count), the constructor
// throws std::system_error with the errno (ENOMEM), as std::thread does when it cannot
// start; a goroutine's stack failing instead ends the program ("fatal error: out of
// memory allocating a goroutine stack").
#pragma once

#include <cstddef>
#include <functional>

namespace gort {

template <class T>
class Generator;

namespace detail {
struct CoroutineFrame;
void** coroutine_exchange(CoroutineFrame* frame);
}  // namespace detail

class Coroutine {
 public:
  class Yield {
   public:
    void operator()();  // suspend; returns when the coroutine is resumed again
    Yield(const Yield&) = delete;
    Yield& operator=(const Yield&) = delete;

   private:
    friend struct detail::CoroutineFrame;
    template <class T>
    friend class Generator;
    explicit Yield(detail::CoroutineFrame* frame) : frame_(frame) {}
    detail::CoroutineFrame* frame_;
  };

  explicit Coroutine(std::function<void(Yield&)> body, std::size_t stack_size = 0);
  Coroutine(Coroutine&& other) noexcept;
  Coroutine& operator=(Coroutine&& other) noexcept;
  Coroutine(const Coroutine&) = delete;
  Coroutine& operator=(const Coroutine&) = delete;
  ~Coroutine();

  // Runs the body until it yields (true) or finishes (false; also for a coroutine
  // that had already finished).  Rethrows an exception that escaped the body.
  bool resume();
  bool done() const;

 private:
  template <class T>
  friend class Generator;
  void destroy() noexcept;
  detail::CoroutineFrame* frame_ = nullptr;
};

}  // namespace gort
