// pipeline.cpp -- a pipeline with fan-out and fan-in, stopped by a Context.
//
//   generate -> squares (fanned out to 4 goroutines) -> merge (fan-in) -> main
//
// Every stage sends inside a select that also watches ctx.done(), so that when the
// consumer cancels, every stage returns instead of blocking forever on a send nobody
// will receive (the goroutine leak Go's "pipelines" article warns about).
#include <gort/gort.hpp>

#include <cstdio>
#include <memory>
#include <vector>

namespace {

// Sends v on out unless ctx is cancelled first; false if cancelled.
template <class T>
bool send_or_done(const gort::Context& ctx, gort::SendChan<T> out, T v) {
  return gort::select(gort::on_send(out, std::move(v)), gort::on_recv(ctx.done())) == 0;
}

// Emits 1, 2, ... up to `limit` (0: forever), then closes its channel.
gort::RecvChan<long> generate(gort::Context ctx, gort::WaitGroup& stages, long limit) {
  auto out = gort::make_chan<long>();
  stages.go([ctx, out, limit] {
    gort::defer close_out{[&] { out.close(); }};
    for (long n = 1; limit == 0 || n <= limit; ++n)
      if (!send_or_done<long>(ctx, out, n)) return;
  });
  return out;
}

gort::RecvChan<long> square(gort::Context ctx, gort::WaitGroup& stages, gort::RecvChan<long> in) {
  auto out = gort::make_chan<long>();
  stages.go([ctx, in, out] {
    gort::defer close_out{[&] { out.close(); }};
    for (long n : in)
      if (!send_or_done<long>(ctx, out, n * n)) return;
  });
  return out;
}

// Fan-in: one channel that carries everything the inputs carry; closed after all are.
gort::RecvChan<long> merge(gort::Context ctx, gort::WaitGroup& stages, const std::vector<gort::RecvChan<long>>& ins) {
  auto out = gort::make_chan<long>();
  auto forwarders = std::make_shared<gort::WaitGroup>();
  for (auto in : ins)
    forwarders->go([ctx, in, out] {
      for (long v : in)
        if (!send_or_done<long>(ctx, out, v)) return;
    });
  stages.go([forwarders, out] {
    forwarders->wait();
    out.close();
  });
  return out;
}

gort::RecvChan<long> build(gort::Context ctx, gort::WaitGroup& stages, long limit) {
  auto numbers = generate(ctx, stages, limit);
  std::vector<gort::RecvChan<long>> workers;
  for (int i = 0; i < 4; ++i) workers.push_back(square(ctx, stages, numbers));  // fan-out
  return merge(ctx, stages, workers);                                           // fan-in
}

}  // namespace

int main() {
  return gort::run([] {
    {
      // Run to completion: the order of the squares varies, their sum does not.
      auto [ctx, cancel] = gort::with_cancel(gort::background());
      gort::WaitGroup stages;
      long sum = 0;
      for (long v : build(ctx, stages, 100)) sum += v;
      stages.wait();
      cancel();
      std::printf("squares of 1..100: sum %ld\n", sum);
    }
    {
      // An endless generator; the consumer takes 10 values, then cancels.
      auto [ctx, cancel] = gort::with_cancel(gort::background());
      gort::WaitGroup stages;
      auto squares = build(ctx, stages, 0);
      for (int i = 0; i < 10; ++i) (void)squares.recv();
      cancel();        // every stage sees ctx.done() and returns...
      stages.wait();   // ...so this join point is reached
      std::printf("endless pipeline: took 10 values, cancelled, every stage returned (%s)\n",
                  ctx.err().message().c_str());
    }
  });
}
