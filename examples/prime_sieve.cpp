// prime_sieve.cpp -- the concurrent prime sieve from the Go tour and Go's own test
// suite: a goroutine generates 2, 3, 4, ...; each prime found adds a filter goroutine
// that removes that prime's multiples from the stream, daisy-chained by channels.
#include <gort/gort.hpp>

#include <cstdio>

namespace {

// Sends 2, 3, 4, ... on ch, forever.
void generate(gort::SendChan<int> ch) {
  for (int i = 2;; ++i) ch.send(i);
}

// Copies the values from in to out, removing those divisible by prime.
void filter(gort::RecvChan<int> in, gort::SendChan<int> out, int prime) {
  for (int i : in)
    if (i % prime != 0) out.send(i);
}

}  // namespace

int main() {
  return gort::run([] {
    auto ch = gort::make_chan<int>();
    gort::go(generate, ch);  // the channel handle is copied into the goroutine
    std::printf("the first 25 primes:");
    for (int i = 0; i < 25; ++i) {
      int prime = *ch.recv();
      std::printf(" %d", prime);
      auto next = gort::make_chan<int>();
      gort::go(filter, ch, next, prime);
      ch = next;
    }
    std::printf("\n%d goroutines: main, the generator and one filter per prime\n", gort::num_goroutine());
    // main returns: the generator and the filters, blocked on their sends, are
    // abandoned (unwound and freed), as Go abandons them at exit.
  });
}
