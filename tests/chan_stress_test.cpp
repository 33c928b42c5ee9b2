// chan_stress_test.cpp -- a randomized mix of senders, receivers, closers and selects,
// goroutines and plain threads, over a few channels of different capacities; at the
// end every value that was sent (a send that returned, a try_send that returned true,
// a send case that was chosen) was received exactly once, and nothing else was.
// Run for a trivially copyable element and for a move-only one that owns heap memory
// (leaks show under LSan), over max_procs 1, 2, 4.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using gort_test::ProcsTest;
using gort_test::scaled;

class ChanStressTest : public ProcsTest {};
GORT_INSTANTIATE_PROCS(ChanStressTest);

struct Rng {  // splitmix64
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

template <class V>
struct Codec;
template <>
struct Codec<std::uint64_t> {
  static std::uint64_t make(std::uint64_t id) { return id; }
  static std::uint64_t id(const std::uint64_t& v) { return v; }
};
template <>
struct Codec<std::unique_ptr<std::uint64_t>> {
  static std::unique_ptr<std::uint64_t> make(std::uint64_t id) { return std::make_unique<std::uint64_t>(id); }
  static std::uint64_t id(const std::unique_ptr<std::uint64_t>& v) { return *v; }
};

constexpr std::size_t kChans = 4;
constexpr std::array<std::size_t, kChans> kCaps = {0, 1, 3, 16};

template <class V>
struct World {
  std::array<gort::Chan<V>, kChans> chans;
  std::array<std::atomic<bool>, kChans> closing{};  // set before a channel is closed
  std::atomic<long> sends_done{0};
  std::mutex mu;
  std::vector<std::uint64_t> sent, received;  // mu

  World() {
    for (std::size_t k = 0; k < kChans; ++k) chans[k] = gort::make_chan<V>(kCaps[k]);
  }

  void close(std::size_t k) {
    closing[k] = true;
    (void)gort::recover([&] { chans[k].close(); });  // may race with another closer
  }

  // The handle to use for channel k: nil once it is (being) closed, so that a send case
  // on it is never ready (it would panic otherwise).
  gort::Chan<V> open_or_nil(std::size_t k) const { return closing[k].load() ? gort::Chan<V>{} : chans[k]; }

  // Sends values id_base + [0, n) with a random operation each; returns when all were
  // sent or every channel is closed.
  void sender(std::uint64_t id_base, long n, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<std::uint64_t> mine;
    for (long i = 0; i < n; ++i) {
      const std::uint64_t id = id_base + static_cast<std::uint64_t>(i);
      bool sent_it = false;
      while (!sent_it) {
        std::array<std::size_t, kChans> open{};
        std::size_t nopen = 0;
        for (std::size_t k = 0; k < kChans; ++k)
          if (!closing[k].load()) open[nopen++] = k;
        if (nopen == 0) break;  // everything closed: this value is never sent
        const std::size_t k1 = open[rng.below(nopen)], k2 = open[rng.below(nopen)];
        auto p = gort::recover([&] {
          switch (rng.below(4)) {
            case 0:
              chans[k1].send(Codec<V>::make(id));
              sent_it = true;
              break;
            case 1: {
              V v = Codec<V>::make(id);
              sent_it = chans[k1].try_send(std::move(v));
              if (!sent_it && Codec<V>::id(v) != id) ADD_FAILURE() << "try_send lost its value";
              break;
            }
            case 2: {
              auto c1 = open_or_nil(k1), c2 = open_or_nil(k2);
              if (!c1 && !c2) break;  // both closed meanwhile: a select on nil only would block forever
              sent_it = gort::select(gort::on_send(c1, Codec<V>::make(id)), gort::on_send(c2, Codec<V>::make(id)),
                                     gort::on_recv(gort::Chan<int>{})) < 2;
              break;
            }
            default:
              sent_it = gort::select(gort::on_send(open_or_nil(k1), Codec<V>::make(id)), gort::on_default()) == 0;
              if (!sent_it) gort::yield();
              break;
          }
        });
        if (p && std::string(p->what()) != "send on closed channel") ADD_FAILURE() << p->what();
      }
      if (sent_it) mine.push_back(id);
      sends_done.fetch_add(1);
    }
    std::lock_guard<std::mutex> lk(mu);
    sent.insert(sent.end(), mine.begin(), mine.end());
  }

  // Receives with a random operation each until every channel was seen closed.  A
  // sweeper never blocks on one channel only: its blocking select covers every open
  // channel, so a sender parked anywhere always finds a partner.
  void receiver(std::uint64_t seed, bool sweeper) {
    Rng rng{seed};
    std::vector<std::uint64_t> mine;
    std::array<bool, kChans> seen_closed{};
    auto live = [&](std::size_t k) { return seen_closed[k] ? gort::Chan<V>{} : chans[k]; };
    auto got = [&](std::size_t k) {
      return [&, k](std::optional<V> v) {
        if (v)
          mine.push_back(Codec<V>::id(*v));
        else
          seen_closed[k] = true;
      };
    };
    for (;;) {
      std::array<std::size_t, kChans> open{};
      std::size_t nopen = 0;
      for (std::size_t k = 0; k < kChans; ++k)
        if (!seen_closed[k]) open[nopen++] = k;
      if (nopen == 0) break;
      const std::size_t k = open[rng.below(nopen)], k2 = open[rng.below(nopen)];
      switch (sweeper ? 1 + rng.below(3) : rng.below(4)) {
        case 0:
          got(k)(chans[k].recv());
          break;
        case 1:
          if (auto v = chans[k].try_recv())
            mine.push_back(Codec<V>::id(*v));
          else
            gort::yield();
          break;
        case 2:
          gort::select(gort::on_recv(live(0), got(0)), gort::on_recv(live(1), got(1)), gort::on_recv(live(2), got(2)),
                       gort::on_recv(live(3), got(3)));
          break;
        default:
          if (gort::select(gort::on_recv(live(k), got(k)), gort::on_recv(live(k2), got(k2)), gort::on_default()) == 2)
            gort::yield();
          break;
      }
    }
    std::lock_guard<std::mutex> lk(mu);
    received.insert(received.end(), mine.begin(), mine.end());
  }
};

template <class V>
void stress(int procs) {
  const long n = scaled(4000, 400);  // values per sender
  constexpr int kGoSenders = 6, kThreadSenders = 2, kGoReceivers = 5, kThreadReceivers = 2;
  constexpr long kSenders = kGoSenders + kThreadSenders;
  World<V> w;
  gort::run(
      [&] {
        gort::WaitGroup senders, receivers;
        std::vector<std::thread> threads;
        std::uint64_t seed = 1000u * static_cast<std::uint64_t>(procs);
        for (int r = 0; r < kGoReceivers; ++r) receivers.go([&w, r, s = ++seed] { w.receiver(s, r == 0); });
        for (int r = 0; r < kThreadReceivers; ++r) threads.emplace_back([&w, r, s = ++seed] { w.receiver(s, r == 0); });
        for (long s = 0; s < kSenders; ++s) {
          const std::uint64_t base = static_cast<std::uint64_t>(s) << 32;
          if (s < kGoSenders)
            senders.go([&w, base, n, sd = ++seed] { w.sender(base, n, sd); });
          else
            threads.emplace_back([&w, base, n, sd = ++seed] { w.sender(base, n, sd); });
        }
        // Closers: one channel closes when about half the values are through, racing
        // with every kind of operation; a second closer races it on the same channel.
        const std::size_t victim = static_cast<std::size_t>(procs) % kChans;
        for (int c = 0; c < 2; ++c)
          gort::go([&w, victim, half = kSenders * n / 2] {
            while (w.sends_done.load() < half) gort::yield();
            w.close(victim);
          });
        senders.wait();
        // The thread senders are done once sends_done says so.
        while (w.sends_done.load() < kSenders * n) gort::yield();
        for (std::size_t k = 0; k < kChans; ++k) w.close(k);
        receivers.wait();
        gort::blocking([&] {
          for (auto& th : threads) th.join();
        });
      },
      gort::Options{.max_procs = procs});

  std::sort(w.sent.begin(), w.sent.end());
  std::sort(w.received.begin(), w.received.end());
  EXPECT_TRUE(std::adjacent_find(w.sent.begin(), w.sent.end()) == w.sent.end()) << "a value was sent twice";
  EXPECT_TRUE(std::adjacent_find(w.received.begin(), w.received.end()) == w.received.end())
      << "a value was received twice";
  EXPECT_EQ(w.sent.size(), w.received.size());
  EXPECT_TRUE(w.sent == w.received) << "sent and received values differ";
  // Most values went through before the victim closed; all but a few after it.
  EXPECT_GT(w.sent.size(), static_cast<std::size_t>(kSenders * n / 2));
}

TEST_P(ChanStressTest, EveryValueReceivedExactlyOnce) { stress<std::uint64_t>(GetParam()); }

TEST_P(ChanStressTest, EveryMoveOnlyValueReceivedExactlyOnce) {
  stress<std::unique_ptr<std::uint64_t>>(GetParam());
}

}  // namespace
