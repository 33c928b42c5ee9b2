// generator.hpp -- gort::Generator<T>: a Coroutine that yields values.
//
//   gort::Generator<int> squares([](gort::Generator<int>::Yield& yield) {
//     for (int i = 0; i < 5; ++i) yield(i * i);
//   });
//   for (int v : squares) ...                 // an input range
//   while (auto v = gen.next()) ...           // or one at a time; nullopt when finished
//
// The yielded value stays on the generator's stack until the consumer moves it out,
// so T may be move-only and need not be default-constructible.  Exceptions escaping
// the body reach the consumer at next() / ++it.  Destroying a suspended generator
// unwinds it (an infinite generator can be abandoned).  Move-only.
#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

#include "coroutine.hpp"

namespace gort {

template <class T>
class Generator {
 public:
  class Yield {
   public:
    void operator()(T value) {
      *slot_ = std::addressof(value);
      (*yield_)();
    }
    Yield(const Yield&) = delete;
    Yield& operator=(const Yield&) = delete;

   private:
    friend class Generator;
    Yield(Coroutine::Yield& y, void** slot) : yield_(&y), slot_(slot) {}
    Coroutine::Yield* yield_;
    void** slot_;
  };

  explicit Generator(std::function<void(Yield&)> body, std::size_t stack_size = 0)
      : co_(
            [body = std::move(body)](Coroutine::Yield& y) mutable {
              Yield gy(y, detail::coroutine_exchange(y.frame_));
              body(gy);
            },
            stack_size) {}

  // The next value, or nullopt once the body has finished (and every time after).
  std::optional<T> next() {
    if (!advance()) return std::nullopt;
    return std::optional<T>(std::move(*current()));
  }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using reference = T&&;

    iterator() = default;
    T&& operator*() const { return std::move(*gen_->current()); }
    iterator& operator++() {
      if (!gen_->advance()) gen_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.gen_ == nullptr; }

   private:
    friend class Generator;
    explicit iterator(Generator* g) : gen_(g) {}
    Generator* gen_ = nullptr;
  };

  iterator begin() { return advance() ? iterator(this) : iterator(); }
  std::default_sentinel_t end() { return {}; }

 private:
  bool advance() { return co_.resume(); }
  T* current() { return static_cast<T*>(*detail::coroutine_exchange(co_.frame_)); }
  Coroutine co_;
};

}  // namespace gort
