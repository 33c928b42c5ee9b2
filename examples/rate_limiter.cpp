// rate_limiter.cpp -- rate limiting on a Ticker (Go by Example's "Rate Limiting").
//
//   1. Steady: one request per tick of a 20 ms Ticker.
//   2. Bursty: a bucket of 3 tokens (a buffered channel), full at first and refilled
//      by a goroutine at one token per tick, so a burst of 3 goes through at once
//      and the rest at the ticker's rate.
//
// The output holds what timers guarantee (they never fire early) and which token
// each request used, not the exact times, so it does not depend on the machine's load.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <optional>

using namespace std::chrono_literals;
using gort::Clock;

namespace {

constexpr auto kTick = 20ms;
constexpr int kRequests = 5;
constexpr int kBurst = 3;

void steady() {
  auto requests = gort::make_chan<int>(kRequests);
  for (int i = 1; i <= kRequests; ++i) requests.send(i);
  requests.close();

  auto t0 = Clock::now();
  gort::Ticker limiter(kTick);  // ticks at t0 + 20 ms, + 40 ms, ... or later, never earlier
  for (int r : requests) {
    (void)limiter.channel().recv();  // wait for the next tick
    std::printf("steady: request %d handled\n", r);
  }
  limiter.stop();
  std::printf("steady: %d requests took at least %d ticks: %s\n", kRequests, kRequests,
              Clock::now() - t0 >= kRequests * kTick ? "yes" : "NO");
}

void bursty() {
  auto t0 = Clock::now();
  auto tokens = gort::make_chan<Clock::time_point>(kBurst);
  for (int i = 0; i < kBurst; ++i) tokens.send(t0);  // the bucket starts full
  auto [ctx, stop_refill] = gort::with_cancel(gort::background());
  gort::WaitGroup refill_done;
  refill_done.go([ctx = ctx, tokens] {  // (clang 14 cannot capture a structured binding by name)
    gort::Ticker refill(kTick);
    for (bool stopped = false; !stopped;) {
      gort::select(gort::on_recv(refill.channel(),
                                 [&](std::optional<Clock::time_point> tick) {
                                   tokens.try_send(*tick);  // a full bucket drops the token
                                 }),
                   gort::on_recv(ctx.done(), [&] { stopped = true; }));
    }
  });

  for (int r = 1; r <= kRequests; ++r) {
    Clock::time_point token = *tokens.recv();
    std::printf("bursty: request %d handled (token from %s)\n", r, token == t0 ? "the initial burst" : "a tick");
  }
  bool paced = Clock::now() - t0 >= (kRequests - kBurst) * kTick;
  stop_refill();
  refill_done.wait();
  std::printf("bursty: the last %d requests waited for ticks: %s\n", kRequests - kBurst, paced ? "yes" : "NO");
}

}  // namespace

int main() {
  return gort::run([] {
    steady();
    bursty();
  });
}
