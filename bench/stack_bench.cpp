// stack_bench.cpp -- the cost of getting and returning a goroutine stack.
//
// Every goroutine's first run takes a stack and its exit returns it (proc.cpp, "Lazy
// stacks"), so these two paths bound the spawn+exit cost.  White-box: it calls the
// runtime's internal allocator (src/stack.hpp) directly.
//
//   BM_StackPoolAllocFree   stack_alloc + stack_free on the process-wide pool: one
//                           mutex round trip each, the LIFO hands back the same stack.
//                           Also with two threads hammering the one pool.
//   BM_StackCacheGetPut     StackCache::get + put, the per-P LIFO: no lock (with two
//                           threads: one cache each, as two Ps have).
//   BM_StackCacheBurst      get `n` stacks, then put them all back, for n beyond the
//                           cache's capacity: includes the refill / spill to the pool
//                           (half the cache under one lock).  Counter per_stack: time per
//                           get+put pair.
//
// All of them reuse stacks that are already carved and resident: the cost of carving
// (guard installation) and of first-touch page faults is deliberately not measured
// here; the comparison programs (compare/) see it.
#include <benchmark/benchmark.h>

#include <vector>

#include "stack.hpp"

namespace {

using gort::detail::Stack;
using gort::detail::StackCache;

const std::size_t kSize = gort::detail::stack_size_for(0);  // the default: 256 KiB unless $GORT_STACK_SIZE

void BM_StackPoolAllocFree(benchmark::State& state) {
  gort::detail::stack_free(gort::detail::stack_alloc(kSize));  // carve one before timing
  for (auto _ : state) {
    Stack s = gort::detail::stack_alloc(kSize);
    benchmark::DoNotOptimize(s.lo);
    gort::detail::stack_free(s);
  }
}
// Two threads: the contention that the per-P caches exist to avoid.
BENCHMARK(BM_StackPoolAllocFree)->Threads(1)->Threads(2);

void BM_StackCacheGetPut(benchmark::State& state) {
  StackCache cache;
  cache.put(cache.get(kSize));
  for (auto _ : state) {
    Stack s = cache.get(kSize);
    benchmark::DoNotOptimize(s.lo);
    cache.put(s);
  }
  cache.drain();
}
BENCHMARK(BM_StackCacheGetPut)->Threads(1)->Threads(2);  // one cache per thread, as per P

void BM_StackCacheBurst(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  StackCache cache;
  std::vector<Stack> held;
  held.reserve(n);
  for (std::size_t i = 0; i < n; ++i) held.push_back(cache.get(kSize));  // carve them before timing
  for (Stack s : held) cache.put(s);
  held.clear();
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) held.push_back(cache.get(kSize));
    for (Stack s : held) cache.put(s);
    held.clear();
  }
  cache.drain();
  state.counters["per_stack"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                                            benchmark::Counter::kInvert);
}
// Counter per_stack: time per get+put pair (see coroutine_bench.cpp for per_ counters).
// Twice and eight times the cache's capacity: every burst refills and spills.
BENCHMARK(BM_StackCacheBurst)->Arg(2 * StackCache::kCapacity)->Arg(8 * StackCache::kCapacity);

}  // namespace
