// coroutine_bench.cpp -- the cost of gort's context switch, seen through Coroutine.
//
// Coroutine is the switch layer without a scheduler, so it is the physical anchor for
// every scheduler number: a goroutine switch cannot be cheaper than this.
//
//   BM_CoroutineSwitch          resume() + yield: one round trip, i.e. two register
//                               switches (counter per_switch: half of it).  Reference
//                               points: a register-only switch is
//                               a few ns; Boost.Context publishes ~9 ns per
//                               jump_fcontext; libgo's yield measures 15.8 ns here.
//   BM_GeneratorNext            Generator<int>::next() per value: a round trip plus
//                               moving the value out through the exchange slot.
//   BM_CoroutineLifecycle       construct + first resume (body returns at once) +
//                               destroy: std::function, a stack from the process-wide
//                               pool and back, two switches.
//   BM_CoroutineDestroySuspended  the same, but destroyed while suspended in yield():
//                               adds the forced unwind (one C++ throw/catch).
//
// Run the binary with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// and quote medians (compare.py does).  Counters named per_<thing> are time per thing
// (kIsRate | kInvert: seconds in the JSON output), as compare.py expects.
#include <benchmark/benchmark.h>

#include <gort/coroutine.hpp>
#include <gort/generator.hpp>

namespace {

void BM_CoroutineSwitch(benchmark::State& state) {
  gort::Coroutine co([](gort::Coroutine::Yield& yield) {
    for (;;) yield();
  });
  for (auto _ : state) benchmark::DoNotOptimize(co.resume());
  state.counters["per_switch"] = benchmark::Counter(2.0 * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CoroutineSwitch);

void BM_GeneratorNext(benchmark::State& state) {
  gort::Generator<int> counter([](gort::Generator<int>::Yield& yield) {
    for (int i = 0;; ++i) yield(i);
  });
  for (auto _ : state) benchmark::DoNotOptimize(counter.next());
}
BENCHMARK(BM_GeneratorNext);

void BM_CoroutineLifecycle(benchmark::State& state) {
  for (auto _ : state) {
    gort::Coroutine co([](gort::Coroutine::Yield&) {});
    benchmark::DoNotOptimize(co.resume());
  }
}
BENCHMARK(BM_CoroutineLifecycle);

void BM_CoroutineDestroySuspended(benchmark::State& state) {
  for (auto _ : state) {
    gort::Coroutine co([](gort::Coroutine::Yield& yield) { yield(); });
    benchmark::DoNotOptimize(co.resume());
  }
}
BENCHMARK(BM_CoroutineDestroySuspended);

}  // namespace
