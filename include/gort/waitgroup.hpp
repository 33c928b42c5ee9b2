// waitgroup.hpp -- gort::WaitGroup (sync.WaitGroup).
//
//   gort::WaitGroup wg;
//   for (auto& job : jobs) wg.go(process, std::ref(job));   // add(1) + go + done()
//   wg.wait();
//
// add(n) before starting the work, done() when a piece ends, wait() blocks until the
// counter is zero.  A negative counter panics "sync: negative WaitGroup counter".
// wait() parks the goroutine, or blocks a thread that is not a goroutine.  Reusable
// once wait() has returned.  wg.go records its call site like gort::go.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "detail/spawn.hpp"
#include "detail/unwind.hpp"

namespace gort {

class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  void add(int delta = 1);
  void done() { add(-1); }
  void wait();

  // add(1), then go(f, args...) with a done() when f returns or throws, after f and
  // args are destroyed.  (Overloads instead of one variadic template so that the call
  // site can be recorded.)
  template <class F>
  void go(F&& f, detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, std::forward<F>(f));
  }
  template <class F, class A1>
  void go(F&& f, A1&& a1, detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, std::forward<F>(f), std::forward<A1>(a1));
  }
  template <class F, class A1, class A2>
  void go(F&& f, A1&& a1, A2&& a2, detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2));
  }
  template <class F, class A1, class A2, class A3>
  void go(F&& f, A1&& a1, A2&& a2, A3&& a3, detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3));
  }
  template <class F, class A1, class A2, class A3, class A4>
  void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4,
          detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3),
          std::forward<A4>(a4));
  }
  template <class F, class A1, class A2, class A3, class A4, class A5>
  void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5,
          detail::CallSite site = GORT_CALL_SITE_HERE) {
    go_at(site, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2), std::forward<A3>(a3),
          std::forward<A4>(a4), std::forward<A5>(a5));
  }

 private:
  template <class F, class... A>
  void go_at(const detail::CallSite& site, F&& f, A&&... a) {
    if constexpr (detail::go_callable<F, A...>()) go_checked(site, std::forward<F>(f), std::forward<A>(a)...);
  }
  template <class F, class... A>
  void go_checked(const detail::CallSite& site, F&& f, A&&... a) {
    detail::check_go_func(f, site);
    add(1);
    try {
      detail::spawn(
          site,
          [](WaitGroup* wg, std::decay_t<F>&& fn, std::decay_t<A>&&... args) {
            struct Done {
              WaitGroup* wg;
              // Not while run() unwinds abandoned goroutines: nobody waits any more, and
              // the WaitGroup may live in the frame of a goroutine already unwound.
              ~Done() noexcept(false) {
                if (!detail::run_abandoning()) wg->done();
              }
            } done{wg};
            // Moved into locals so that they are destroyed before done(): when wait()
            // returns, every function and argument passed to go() is gone.
            std::decay_t<F> local_fn(std::move(fn));
            std::tuple<std::decay_t<A>...> local_args(std::move(args)...);
            std::apply([&](auto&... xs) { std::invoke(std::move(local_fn), std::move(xs)...); }, local_args);
          },
          this, std::forward<F>(f), std::forward<A>(a)...);
    } catch (...) {
      done();
      throw;
    }
  }

  // Go's layout: counter in the high 32 bits, waiters in the low 32, one atomic.
  std::atomic<std::uint64_t> state_{0};
  std::atomic<std::uint32_t> sema_{0};
};

}  // namespace gort
