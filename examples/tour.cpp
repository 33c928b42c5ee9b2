// tour.cpp -- the README's tour, as one program that is built and checked.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

namespace {

// select with a timeout
void select_with_timeout() {
  auto results = gort::make_chan<int>(1);
  gort::go([results] {
    gort::sleep(500ms);  // too slow
    results.send(42);    // room for one: this send never blocks, even after the timeout
  });
  gort::select(gort::on_recv(results, [](std::optional<int> r) { std::printf("result %d\n", *r); }),
               gort::on_recv(gort::after(50ms), [] { std::printf("timed out\n"); }));
}

// a Context cancelling workers
void context_cancels_workers() {
  auto [ctx, cancel] = gort::with_cancel(gort::background());
  auto jobs = gort::make_chan<int>();
  gort::WaitGroup wg;
  for (int w = 0; w < 3; ++w)
    wg.go([ctx = ctx, jobs] {
      for (;;) {
        bool stop = false;
        gort::select(gort::on_recv(jobs, [](std::optional<int> job) { (void)job; /* work on it */ }),
                     gort::on_recv(ctx.done(), [&] { stop = true; }));
        if (stop) return;  // cancelled: ctx.err() == gort::errc::canceled
      }
    });
  for (int j = 0; j < 10; ++j) jobs.send(j);
  cancel();   // every worker sees ctx.done() closed...
  wg.wait();  // ...and returns
  std::printf("workers stopped: %s\n", ctx.err().message().c_str());
}

// Mutex and WaitGroup
void mutex_and_waitgroup() {
  gort::Mutex mu;
  std::vector<int> seen;  // guarded by mu
  gort::WaitGroup wg;
  for (int i = 0; i < 100; ++i)
    wg.go([&](int n) {        // n: a copy of i, taken at the call
      std::lock_guard lk(mu); // gort::Mutex parks the goroutine, never the thread
      seen.push_back(n);
    }, i);
  wg.wait();                  // the join point: every goroutine has finished
  std::printf("%zu goroutines ran\n", seen.size());
}

// recover
void recover_from_panic() {
  std::optional<gort::Panic> p = gort::recover([] {
    gort::defer cleanup{[] { std::printf("deferred cleanup runs first\n"); }};
    auto ch = gort::make_chan<int>();
    ch.close();
    ch.close();  // panics: close of closed channel
  });
  if (p) std::printf("recovered: %s\n", p->what());
  auto q = gort::recover([] { throw std::runtime_error("any exception"); });
  std::printf("recovered: %s\n", q->what());
}

}  // namespace

int main() {
  return gort::run([] {
    select_with_timeout();
    context_cancels_workers();
    mutex_and_waitgroup();
    recover_from_panic();
    gort::Stats s = gort::stats();
    std::printf("stats: %d Ps, goroutines spawned so far: %s\n", s.procs, s.spawned >= 104 ? "104 or more" : "fewer");
  }, gort::Options{.max_procs = 2});
}
