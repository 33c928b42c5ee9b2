// timeout_retry.cpp -- a timeout and retry wrapper around an unreliable operation.
//
// retry(ctx, attempts, timeout, op) calls op(attempt_ctx) up to `attempts` times.
// Each attempt runs in its own goroutine under a child context with its own
// timeout; the caller waits in a select for whichever comes first: the result, or
// the attempt's context being done (its timeout, or the caller's ctx).  The whole
// retry gives up when the caller's ctx is done (its deadline covers all attempts).
//
// Two Go traps avoided here: the result channel has room for one value, so an
// attempt that finishes after its caller gave up does not block forever on its send
// (a goroutine leak); and the attempt's context is cancelled when the caller moves
// on, so a well-behaved op stops working for nobody.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Outcome {
  std::optional<int> value;
  std::string error;  // empty when value is set
};

using Operation = std::function<int(const gort::Context&)>;

Outcome retry(const gort::Context& ctx, int attempts, gort::Clock::duration timeout, const Operation& op) {
  Outcome last{std::nullopt, "no attempt made"};
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (ctx.err()) break;  // the caller's deadline passed or it was cancelled
    auto [attempt_ctx, cancel] = gort::with_timeout(ctx, timeout);
    gort::defer cancel_attempt{cancel};  // stop the attempt however this iteration ends
    auto result = gort::make_chan<Outcome>(1);  // buffered: a late attempt never blocks
    gort::go([op, result, c = attempt_ctx] {
      try {
        result.send(Outcome{op(c), ""});
      } catch (const std::exception& e) {
        result.send(Outcome{std::nullopt, e.what()});
      }
    });
    gort::select(gort::on_recv(result, [&](std::optional<Outcome> o) {
                   if (o) last = std::move(*o);  // never closed: o always holds a value
                 }),
                 gort::on_recv(attempt_ctx.done(), [&] { last = Outcome{}; }));
    if (!last.value && attempt_ctx.err())  // whatever the op said after its context ended
      last.error = "timed out (" + attempt_ctx.err().message() + ")";
    std::printf("  attempt %d: %s\n", attempt,
                last.value ? ("ok: " + std::to_string(*last.value)).c_str() : last.error.c_str());
    if (last.value) return last;
    gort::sleep(5ms);  // back off a little before the next attempt
  }
  if (ctx.err()) last.error = "gave up: " + ctx.err().message();
  return last;
}

// Waits until ctx is done, as a hung call that honours its context would.
int hang(const gort::Context& ctx) {
  (void)ctx.done().recv();
  throw std::runtime_error("interrupted");
}

}  // namespace

int main() {
  return gort::run([] {
    std::printf("an operation that hangs, then fails, then succeeds:\n");
    int calls = 0;
    Operation flaky = [&calls](const gort::Context& ctx) -> int {
      switch (++calls) {
        case 1: return hang(ctx);
        case 2: throw std::runtime_error("connection reset");
        default: return 42;
      }
    };
    Outcome o = retry(gort::background(), 5, 50ms, flaky);
    std::printf("result: %s\n", o.value ? std::to_string(*o.value).c_str() : o.error.c_str());

    std::printf("an operation that always hangs, under an overall deadline:\n");
    auto [ctx, cancel] = gort::with_timeout(gort::background(), 200ms);
    o = retry(ctx, 5, 120ms, hang);  // attempt 1 times out at 120 ms, attempt 2 at the 200 ms deadline
    cancel();
    std::printf("result: %s\n", o.value ? std::to_string(*o.value).c_str() : o.error.c_str());
  });
}
