// demo.cpp -- the seed's programs, in C++, printed so a newcomer sees what happened.
//
//   1. a Coroutine suspended and resumed at will
//   2. a Generator
//   3. `go hello()` with a WaitGroup as the join point
//   4. the loop-variable closure pitfall, and its fix
//   5. fork-join
#include <gort/gort.hpp>

#include <cstdio>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

namespace {

void title(const char* t) { std::printf("\n=== %s ===\n", t); }

void coroutine_demo() {
  title("1. A Coroutine, suspended and resumed at will");
  gort::Coroutine co([](gort::Coroutine::Yield& yield) {
    std::printf("  [coroutine] step 1, then yield()\n");
    yield();
    std::printf("  [coroutine] step 2, resumed where it left off, then yield()\n");
    yield();
    std::printf("  [coroutine] step 3, returning\n");
  });
  std::printf("  [caller] created the coroutine: nothing has run yet (done=%d)\n", co.done());
  for (int i = 1; co.resume(); ++i) std::printf("  [caller] resume #%d returned true: it is suspended\n", i);
  std::printf("  [caller] the last resume returned false: it finished (done=%d)\n", co.done());
}

void generator_demo() {
  title("2. A Generator");
  gort::Generator<long> fibonacci([](gort::Generator<long>::Yield& yield) {
    long a = 0, b = 1;
    for (;;) {  // infinite: the consumer decides when to stop
      yield(a);
      long next = a + b;
      a = b;
      b = next;
    }
  });
  std::printf("  the first Fibonacci numbers:");
  int n = 0;
  for (long v : fibonacci) {
    std::printf(" %ld", v);
    if (++n == 12) break;
  }
  std::printf("\n  (the generator is still suspended; destroying it unwinds its stack)\n");
}

void hello_demo() {
  title("3. go hello() with a WaitGroup as the join point");
  gort::WaitGroup wg;
  wg.add(1);
  gort::go([&] {
    gort::defer done{[&] { wg.done(); }};
    std::printf("  hello from goroutine %llu\n", static_cast<unsigned long long>(gort::goroutine_id()));
  });
  wg.wait();
  std::printf("  main goroutine %llu: wait() returned, the goroutine has finished\n",
              static_cast<unsigned long long>(gort::goroutine_id()));
}

void loop_variable_demo() {
  title("4. The loop-variable closure pitfall, and its fix");
  gort::WaitGroup wg;
  std::mutex mu;
  std::vector<std::string> seen;
  std::string salutation;  // one variable, reused by every iteration

  // Pitfall: the closure captures `salutation` by reference.  The goroutines run
  // later, after the loop has moved on, so they read whatever is there by then.
  // (The mutex keeps it a logic bug, not also a data race.)
  for (const char* s : {"hello", "greetings", "good day"}) {
    {
      std::lock_guard<std::mutex> lk(mu);
      salutation = s;
    }
    wg.go([&] {
      std::lock_guard<std::mutex> lk(mu);
      seen.push_back(salutation);
    });
  }
  {
    std::lock_guard<std::mutex> lk(mu);
    salutation = "(changed after the loop)";
  }
  wg.wait();
  std::printf("  captured by reference, the goroutines saw:");
  for (auto& s : seen) std::printf(" \"%s\"", s.c_str());
  std::printf("\n");

  // Fix: pass the value as a go() argument; it is copied at the go statement.
  seen.clear();
  for (const char* s : {"hello", "greetings", "good day"}) {
    std::lock_guard<std::mutex> lk(mu);
    salutation = s;
    wg.go(
        [&](std::string mine) {
          std::lock_guard<std::mutex> lk(mu);
          seen.push_back(mine);
        },
        salutation);
  }
  wg.wait();
  std::printf("  passed as an argument, they saw:      ");
  for (auto& s : seen) std::printf(" \"%s\"", s.c_str());
  std::printf("\n  (in any order: goroutines are not ordered)\n");
}

long long parallel_sum(const std::vector<int>& v, std::size_t lo, std::size_t hi) {
  if (hi - lo <= 10000) return std::accumulate(v.begin() + lo, v.begin() + hi, 0LL);
  std::size_t mid = lo + (hi - lo) / 2;
  long long left = 0;
  gort::WaitGroup wg;
  wg.go([&] { left = parallel_sum(v, lo, mid); });  // fork one half...
  long long right = parallel_sum(v, mid, hi);       // ...compute the other here...
  wg.wait();                                        // ...and join
  return left + right;
}

void fork_join_demo() {
  title("5. Fork-join");
  std::vector<int> v(1000000);
  std::iota(v.begin(), v.end(), 1);
  gort::Stats before = gort::stats();
  long long sum = parallel_sum(v, 0, v.size());
  gort::Stats after = gort::stats();
  std::printf("  sum of 1..%zu = %lld (expected %lld)\n", v.size(), sum,
              static_cast<long long>(v.size()) * static_cast<long long>(v.size() + 1) / 2);
  std::printf("  %llu goroutines forked on %d Ps, %llu steals between Ps\n",
              static_cast<unsigned long long>(after.spawned - before.spawned), after.procs,
              static_cast<unsigned long long>(after.steals - before.steals));
}

}  // namespace

int main() {
  coroutine_demo();  // coroutines need no runtime...
  generator_demo();
  return gort::run([] {  // ...goroutines run inside gort::run
    hello_demo();
    loop_variable_demo();
    fork_join_demo();
    std::printf("\nmain returns; gort::run returns its result.\n");
    return 0;
  });
}
