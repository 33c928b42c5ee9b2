// select_test.cpp -- select: default, the chosen case's index and handler (and only
// it), send cases, closed and nil channels, blocking selects woken by every kind of
// partner (including another select), uniform fairness, one wake-up winning among
// several channels, expressions evaluated once, duplicate channels, many cases, select
// from plain threads, and teardown; the braced form select({...}): source order of
// evaluation, every kind of case, its runtime check of defaults.  Each over max_procs
// 1, 2, 4.
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.hpp"

namespace {

using gort_test::ProcsTest;
using namespace std::chrono_literals;

class SelectTest : public ProcsTest {};
GORT_INSTANTIATE_PROCS(SelectTest);

void pause_for(std::chrono::milliseconds d) {
  gort::blocking([d] { std::this_thread::sleep_for(d); });
}

std::string panic_text(const std::optional<gort::Panic>& p) { return p ? p->what() : "<no panic>"; }

std::atomic<int> g_live{0};
struct Counted {
  int v = 0;
  explicit Counted(int x = 0) : v(x) { g_live.fetch_add(1); }
  Counted(Counted&& o) noexcept : v(o.v) { g_live.fetch_add(1); }
  Counted(const Counted&) = delete;
  ~Counted() { g_live.fetch_sub(1); }
};

TEST_P(SelectTest, DefaultWhenNothingIsReady) {
  run([] {
    auto a = gort::make_chan<int>(), b = gort::make_chan<int>(1);
    bool other = false, def = false;
    auto i = gort::select(gort::on_recv(a, [&](std::optional<int>) { other = true; }),
                          gort::on_recv(b, [&](std::optional<int>) { other = true; }),
                          gort::on_default([&] { def = true; }));
    EXPECT_EQ(i, 2u);
    EXPECT_TRUE(def);
    EXPECT_FALSE(other);
    EXPECT_EQ(gort::select(gort::on_default()), 0u);
    EXPECT_EQ(gort::select(gort::on_recv(a), gort::on_default()), 1u);  // one case + default
    EXPECT_EQ(gort::select(gort::on_send(a, 1), gort::on_default()), 1u);
  });
}

TEST_P(SelectTest, IndexIsTheArgumentPositionWithDefaultAnywhere) {
  run([] {
    auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1);
    b.send(5);
    std::optional<int> got;
    bool def = false;
    auto i = gort::select(gort::on_recv(a), gort::on_default([&] { def = true; }),
                          gort::on_recv(b, [&](std::optional<int> v) { got = v; }));
    EXPECT_EQ(i, 2u);
    EXPECT_EQ(got, std::optional<int>(5));
    EXPECT_FALSE(def);
    i = gort::select(gort::on_recv(a), gort::on_default([&] { def = true; }), gort::on_recv(b));
    EXPECT_EQ(i, 1u);
    EXPECT_TRUE(def);
    a.send(1);
    EXPECT_EQ(gort::select(gort::on_default(), gort::on_recv(b), gort::on_recv(a)), 2u);
  });
}

TEST_P(SelectTest, SendCases) {
  run([] {
    auto a = gort::make_chan<int>(1);
    bool sent = false;
    EXPECT_EQ(gort::select(gort::on_send(a, 3, [&] { sent = true; }), gort::on_default()), 0u);
    EXPECT_TRUE(sent);
    EXPECT_EQ(gort::select(gort::on_send(a, 4), gort::on_default()), 1u);  // full
    EXPECT_EQ(a.recv(), std::optional<int>(3));
    EXPECT_EQ(a.size(), 0u);

    // A send case that is not chosen keeps its value, and destroys it with the case.
    auto full = gort::make_chan<Counted>(1);
    full.send(Counted(1));
    EXPECT_EQ(gort::select(gort::on_send(full, Counted(2)), gort::on_default()), 1u);
    EXPECT_EQ(g_live.load(), 1);
    auto u = gort::make_chan<std::unique_ptr<int>>(1);
    EXPECT_EQ(gort::select(gort::on_send(u, std::make_unique<int>(8))), 0u);
    EXPECT_EQ(**u.recv(), 8);
    (void)full.recv();
    EXPECT_EQ(g_live.load(), 0);
  });
}

TEST_P(SelectTest, HandlerForms) {
  run([] {
    auto a = gort::make_chan<int>(1);
    a.send(1);
    int calls = 0;
    EXPECT_EQ(gort::select(gort::on_recv(a, [&] { ++calls; }), gort::on_default()), 0u);  // no argument
    a.send(2);
    EXPECT_EQ(gort::select(gort::on_recv(a, [&](const std::optional<int>& v) { calls += *v; })), 0u);
    EXPECT_EQ(calls, 3);
    // A value received for a handler-less case is destroyed.
    auto c = gort::make_chan<Counted>(1);
    c.send(Counted(1));
    EXPECT_EQ(gort::select(gort::on_recv(c), gort::on_default()), 0u);
    EXPECT_EQ(g_live.load(), 0);
  });
}

TEST_P(SelectTest, ClosedChannels) {
  run([] {
    auto closed = gort::make_chan<int>();
    closed.close();
    std::optional<int> v = 1;
    EXPECT_EQ(gort::select(gort::on_recv(closed, [&](std::optional<int> x) { v = x; }), gort::on_default()), 0u);
    EXPECT_FALSE(v.has_value());
    EXPECT_EQ(panic_text(gort::recover([&] { gort::select(gort::on_send(closed, 1), gort::on_default()); })),
              "send on closed channel");
    // Buffered values are still received before the closed state.
    auto b = gort::make_chan<int>(2);
    b.send(4);
    b.close();
    EXPECT_EQ(gort::select(gort::on_recv(b, [&](std::optional<int> x) { v = x; })), 0u);
    EXPECT_EQ(v, std::optional<int>(4));
    EXPECT_EQ(gort::select(gort::on_recv(b, [&](std::optional<int> x) { v = x; })), 0u);
    EXPECT_FALSE(v.has_value());
  });
}

TEST_P(SelectTest, NilChannelsAreNeverReady) {
  run([] {
    gort::Chan<int> nil;
    EXPECT_EQ(gort::select(gort::on_recv(nil), gort::on_send(nil, 1), gort::on_default()), 2u);
    EXPECT_EQ(gort::select(gort::on_recv(nil), gort::on_default()), 1u);
    auto ready = gort::make_chan<int>(1);
    for (int i = 0; i < 100; ++i) {
      ready.send(i);
      ASSERT_EQ(gort::select(gort::on_recv(nil), gort::on_recv(ready), gort::on_send(nil, 2)), 1u);
    }
    // A blocking select with a nil case is woken by its other case.
    auto later = gort::make_chan<int>();
    gort::go([later] {
      pause_for(5ms);
      later.send(1);
    });
    EXPECT_EQ(gort::select(gort::on_send(nil, 3), gort::on_recv(later)), 1u);
  });
}

TEST_P(SelectTest, BlockingSelectWokenByEachKindOfPartner) {
  run([] {
    auto a = gort::make_chan<int>(), b = gort::make_chan<int>(), idle = gort::make_chan<int>();
    // by a sender
    gort::go([b] {
      pause_for(5ms);
      b.send(9);
    });
    std::optional<int> got;
    EXPECT_EQ(gort::select(gort::on_recv(a), gort::on_recv(b, [&](std::optional<int> v) { got = v; })), 1u);
    EXPECT_EQ(got, std::optional<int>(9));
    // by a receiver
    auto out = gort::make_chan<int>(1);
    gort::go([a, out] {
      pause_for(5ms);
      out.send(a.recv().value_or(-1));
    });
    EXPECT_EQ(gort::select(gort::on_send(a, 6), gort::on_recv(idle)), 0u);
    EXPECT_EQ(out.recv(), std::optional<int>(6));
    // by close, on a receive case
    gort::go([b] {
      pause_for(5ms);
      b.close();
    });
    got = 1;
    EXPECT_EQ(gort::select(gort::on_recv(idle), gort::on_recv(b, [&](std::optional<int> v) { got = v; })), 1u);
    EXPECT_FALSE(got.has_value());
    // by close, on a send case: panics
    auto c = gort::make_chan<int>();
    gort::go([c] {
      pause_for(5ms);
      c.close();
    });
    EXPECT_EQ(panic_text(gort::recover([&] { gort::select(gort::on_send(c, 1), gort::on_recv(idle)); })),
              "send on closed channel");
    // by a buffered send into a channel that was empty
    auto buf = gort::make_chan<int>(4);
    gort::go([buf] {
      pause_for(5ms);
      buf.send(11);
    });
    EXPECT_EQ(gort::select(gort::on_recv(idle), gort::on_recv(buf, [&](std::optional<int> v) { got = v; })), 1u);
    EXPECT_EQ(got, std::optional<int>(11));
  });
}

TEST_P(SelectTest, SelectMeetsSelect) {
  run([] {
    constexpr int kN = 2000;
    auto x = gort::make_chan<int>();
    auto n1 = gort::make_chan<int>(), n2 = gort::make_chan<int>();
    gort::go([x, n1] {
      for (int i = 0; i < kN; ++i) gort::select(gort::on_send(x, i), gort::on_recv(n1));
    });
    for (int i = 0; i < kN; ++i) {
      std::optional<int> v;
      ASSERT_EQ(gort::select(gort::on_recv(n2), gort::on_recv(x, [&](std::optional<int> y) { v = y; })), 1u);
      ASSERT_EQ(v, std::optional<int>(i));
    }
  });
}

TEST_P(SelectTest, OneWakeUpWinsAndLosersAreUnlinked) {
  // A select parked on two channels that both get a sender at once receives from
  // exactly one; the other sender stays parked until someone else receives, and the
  // select's waiter on the other channel is gone (a send there does not see it).
  run([] {
    for (int round = 0; round < 300; ++round) {
      auto a = gort::make_chan<int>(), b = gort::make_chan<int>();
      auto result = gort::make_chan<int>(1);
      std::atomic<bool> parking{false};
      gort::go([a, b, result, &parking] {
        int which = -1;
        parking = true;
        gort::select(gort::on_recv(a, [&](std::optional<int> v) { which = *v; }),
                     gort::on_recv(b, [&](std::optional<int> v) { which = *v; }));
        result.send(which);
      });
      while (!parking.load()) gort::yield();
      if (round % 2 == 0) pause_for(1ms);  // sometimes parked, sometimes still polling
      gort::WaitGroup wg;
      wg.go([a] { a.send(1); });
      wg.go([b] { b.send(2); });
      const int which = result.recv().value();
      ASSERT_TRUE(which == 1 || which == 2);
      EXPECT_EQ((which == 1 ? b : a).recv(), std::optional<int>(which == 1 ? 2 : 1));  // the loser's value
      wg.wait();
      EXPECT_FALSE(a.try_send(0));  // nobody is left waiting on either channel
      EXPECT_FALSE(b.try_send(0));
    }
  });
}

TEST_P(SelectTest, ManyGoroutinesSelectOnOneChannel) {
  run([] {
    constexpr int kG = 50;
    auto src = gort::make_chan<int>(), stop = gort::make_chan<int>();
    auto sink = gort::make_chan<int>(kG);
    gort::WaitGroup wg;
    for (int g = 0; g < kG; ++g)
      wg.go([src, stop, sink] {
        std::optional<int> v;
        if (gort::select(gort::on_recv(stop), gort::on_recv(src, [&](std::optional<int> x) { v = x; })) == 1 && v)
          sink.send(*v);
      });
    for (int k = 0; k < kG; ++k) src.send(k);
    wg.wait();
    std::vector<int> seen(kG, 0);
    for (int k = 0; k < kG; ++k) ++seen[sink.recv().value()];
    for (int k = 0; k < kG; ++k) EXPECT_EQ(seen[k], 1) << k;
  });
}

TEST_P(SelectTest, FairAmongReadyCases) {
  run([] {
    constexpr int kN = 10000;
    auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1), c = gort::make_chan<int>(1);
    a.send(0);
    b.send(0);
    c.send(0);
    int counts[3] = {};
    for (int i = 0; i < kN; ++i) {
      auto k = gort::select(gort::on_recv(a), gort::on_recv(b), gort::on_recv(c));
      ++counts[k];
      (k == 0 ? a : k == 1 ? b : c).send(0);
    }
    for (int k = 0; k < 3; ++k) {
      EXPECT_GT(counts[k], kN / 3 - kN / 12) << k;
      EXPECT_LT(counts[k], kN / 3 + kN / 12) << k;
    }
    (void)a.recv();
    int sends[2] = {};
    for (int i = 0; i < kN; ++i) {
      auto k = gort::select(gort::on_send(a, 1), gort::on_recv(gort::Chan<int>{}), gort::on_recv(b));
      ++sends[k == 0 ? 0 : 1];
      if (k == 0) (void)a.recv();
      else b.send(0);
    }
    EXPECT_GT(sends[0], kN * 4 / 10);
    EXPECT_LT(sends[0], kN * 6 / 10);
  });
}

TEST_P(SelectTest, ExpressionsAreEvaluatedOnce) {
  run([] {
    int chan_evals = 0, value_evals = 0;
    auto c = gort::make_chan<int>();
    auto chan_expr = [&] {
      ++chan_evals;
      return c;
    };
    auto value_expr = [&] {
      ++value_evals;
      return 5;
    };
    gort::go([c] {
      pause_for(5ms);
      (void)c.recv();
    });
    EXPECT_EQ(gort::select(gort::on_send(chan_expr(), value_expr()), gort::on_recv(gort::Chan<int>{})), 0u);
    EXPECT_EQ(chan_evals, 1);
    EXPECT_EQ(value_evals, 1);
  });
}

TEST_P(SelectTest, SameChannelInSeveralCases) {
  run([] {
    auto c = gort::make_chan<int>(1);
    c.send(1);
    auto i = gort::select(gort::on_recv(c), gort::on_recv(c), gort::on_send(c, 2));
    EXPECT_TRUE(i == 0 || i == 1);  // full: only the receive cases are ready
    EXPECT_EQ(c.size(), 0u);
    // Blocking on both ends of one unbuffered channel, then a partner for one end.
    auto u = gort::make_chan<int>();
    gort::go([u] {
      pause_for(5ms);
      u.send(3);
    });
    std::optional<int> got;
    i = gort::select(gort::on_recv(u, [&](std::optional<int> v) { got = v; }), gort::on_send(u, 4),
                     gort::on_recv(u, [&](std::optional<int> v) { got = v; }));
    EXPECT_TRUE(i == 0 || i == 2);
    EXPECT_EQ(got, std::optional<int>(3));
    EXPECT_FALSE(u.try_recv().has_value());  // the send case's Sudog is gone
  });
}

TEST_P(SelectTest, ManyCases) {
  run([] {
    constexpr std::size_t kN = 24;  // beyond the insertion-sort range of the lock order
    std::array<gort::Chan<int>, kN> chans;
    for (auto& c : chans) c = gort::make_chan<int>(1);
    auto select_all = [&]<std::size_t... I>(std::index_sequence<I...>) {
      return gort::select(gort::on_recv(chans[I])...);
    };
    std::array<int, kN> hits{};
    for (std::size_t round = 0; round < 5 * kN; ++round) {
      std::size_t k = (round * 7) % kN;
      chans[k].send(static_cast<int>(k));
      ASSERT_EQ(select_all(std::make_index_sequence<kN>()), k);
      ++hits[k];
    }
    auto target = chans[kN - 1];
    gort::go([target] {
      pause_for(5ms);
      target.send(0);
    });
    EXPECT_EQ(select_all(std::make_index_sequence<kN>()), kN - 1);
  });
}

// Go evaluates a select's channel and value expressions once, in source order (API.md
// 12.15): the braced form does so with every compiler, cases built with braces too.
TEST_P(SelectTest, BracedFormEvaluatesInSourceOrder) {
  run([] {
    auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1), c = gort::make_chan<int>(1);
    gort::Chan<int> nil;
    std::string order;
    auto chan = [&](char tag, gort::Chan<int>& ch) -> gort::Chan<int>& {
      order += tag;
      return ch;
    };
    auto value = [&](char tag, int v) {
      order += tag;
      return v;
    };
    a.send(1);
    auto i = gort::select({gort::on_recv{chan('1', a)}, gort::on_send{chan('2', b), value('3', 7)},
                           gort::on_recv{chan('4', nil)}, gort::on_send{chan('5', c), value('6', 8)}});
    EXPECT_EQ(order, "123456");
    EXPECT_TRUE(i == 0 || i == 1 || i == 3) << i;
    // Cases written with parentheses inside the braced list: still in order between cases.
    order.clear();
    auto f = [&](char tag) -> gort::Chan<int>& { return chan(tag, nil); };
    i = gort::select({gort::on_recv(f('1')), gort::on_recv(f('2')), gort::on_recv(f('3')), gort::on_recv(f('4')),
                      gort::on_recv(f('5')), gort::on_default()});
    EXPECT_EQ(order, "12345");
    EXPECT_EQ(i, 5u);
  });
}

TEST_P(SelectTest, BracedFormCaseKinds) {
  run([] {
    auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1);
    gort::Chan<int> nil;
    std::optional<int> got;
    bool sent = false, def = false;
    int calls = 0;
    // default anywhere: the index is the position in the list
    EXPECT_EQ(gort::select({gort::on_recv{a}, gort::on_default{[&] { def = true; }}, gort::on_recv{nil}}), 1u);
    EXPECT_TRUE(def);
    EXPECT_EQ(gort::select({gort::on_send{a, 5, [&] { sent = true; }}, gort::on_default{}}), 0u);
    EXPECT_TRUE(sent);
    EXPECT_EQ(gort::select({gort::on_send{nil, 1}, gort::on_recv{a, [&](std::optional<int> v) { got = v; }}}), 1u);
    EXPECT_EQ(got, std::optional<int>(5));
    b.send(2);
    EXPECT_EQ(gort::select({gort::on_default(), gort::on_recv(nil), gort::on_recv(b, [&] { ++calls; })}), 2u);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(gort::select({gort::on_default{}}), 0u);
    EXPECT_EQ(gort::select({gort::on_recv{nil}, gort::on_send{nil, 1}, gort::on_default{}}), 2u);
    // closed: a receive gets nullopt, a send panics
    auto closed = gort::make_chan<int>();
    closed.close();
    got = 1;
    EXPECT_EQ(gort::select({gort::on_recv{closed, [&](std::optional<int> v) { got = v; }}}), 0u);
    EXPECT_FALSE(got.has_value());
    EXPECT_EQ(panic_text(gort::recover([&] { gort::select({gort::on_send{closed, 1}, gort::on_default{}}); })),
              "send on closed channel");
    // Go rejects a second default at compile time; the braced form at run time.
    EXPECT_EQ(panic_text(gort::recover([&] { gort::select({gort::on_default{}, gort::on_recv{a}, gort::on_default{}}); })),
              "select: multiple defaults");
    // A case built from a temporary handle holds the channel.
    auto made = [] {
      auto t = gort::make_chan<int>(1);
      t.send(9);
      return t;
    };
    EXPECT_EQ(gort::select({gort::on_recv{made(), [&](std::optional<int> v) { got = v; }}}), 0u);
    EXPECT_EQ(got, std::optional<int>(9));
    // A blocking braced select is woken by a partner.
    auto later = gort::make_chan<int>();
    gort::go([later] {
      pause_for(5ms);
      later.send(3);
    });
    EXPECT_EQ(gort::select({gort::on_send{nil, 1}, gort::on_recv{later, [&](std::optional<int> v) { got = v; }}}), 1u);
    EXPECT_EQ(got, std::optional<int>(3));
  });
}

TEST_P(SelectTest, BracedFormSendKeepsMoveOnlyValuesNotChosen) {
  run([] {
    auto full = gort::make_chan<Counted>(1);
    full.send(Counted(1));
    Counted mine(2);
    EXPECT_EQ(gort::select({gort::on_send{full, std::move(mine)}, gort::on_default{}}), 1u);
    EXPECT_EQ(g_live.load(), 2);  // the channel's value and mine (moved from); the case's is gone
    EXPECT_EQ(full.size(), 1u);
    auto u = gort::make_chan<std::unique_ptr<int>>(1);
    u.send(std::make_unique<int>(1));
    EXPECT_EQ(gort::select({gort::on_default{}, gort::on_send{u, std::make_unique<int>(8)}}), 0u);
    EXPECT_EQ(**u.recv(), 1);  // the value not chosen was not sent
    EXPECT_EQ(gort::select({gort::on_default{}, gort::on_send{u, std::make_unique<int>(8)}}), 1u);
    EXPECT_EQ(**u.recv(), 8);
    (void)full.recv();
  });
  EXPECT_EQ(g_live.load(), 0);
}

// More cases than select's frame holds: the arrays come from the heap.
TEST_P(SelectTest, BracedFormManyCases) {
  run([] {
    std::array<gort::Chan<int>, 20> c;
    for (auto& ch : c) ch = gort::make_chan<int>(1);
    for (std::size_t k = 0; k < c.size(); ++k) {
      c[k].send(static_cast<int>(k));
      std::optional<int> got;
      auto h = [&](std::optional<int> v) { got = v; };
      auto i = gort::select({gort::on_recv{c[0], h}, gort::on_recv{c[1], h}, gort::on_recv{c[2], h}, gort::on_recv{c[3], h},
                             gort::on_recv{c[4], h}, gort::on_recv{c[5], h}, gort::on_recv{c[6], h}, gort::on_recv{c[7], h},
                             gort::on_recv{c[8], h}, gort::on_recv{c[9], h}, gort::on_recv{c[10], h}, gort::on_recv{c[11], h},
                             gort::on_default{}, gort::on_recv{c[12], h}, gort::on_recv{c[13], h}, gort::on_recv{c[14], h},
                             gort::on_recv{c[15], h}, gort::on_recv{c[16], h}, gort::on_recv{c[17], h}, gort::on_recv{c[18], h},
                             gort::on_recv{c[19], h}});
      ASSERT_EQ(i, k < 12 ? k : k + 1);
      ASSERT_EQ(got, std::optional<int>(static_cast<int>(k)));
    }
  });
}

TEST_P(SelectTest, TemporaryChannelsInCases) {
  run([] {
    auto make_ready = [] {
      auto c = gort::make_chan<int>(1);
      c.send(3);
      return c;
    };
    std::optional<int> got;
    EXPECT_EQ(gort::select(gort::on_recv(make_ready(), [&](std::optional<int> v) { got = v; }),
                           gort::on_recv(gort::make_chan<int>())),
              0u);
    EXPECT_EQ(got, std::optional<int>(3));
    // A case built beforehand from a temporary holds the channel itself.
    auto kept = gort::on_recv(make_ready(), [&](std::optional<int> v) { got = v; });
    got.reset();
    EXPECT_EQ(gort::select(kept, gort::on_default()), 0u);
    EXPECT_EQ(got, std::optional<int>(3));
  });
}

TEST_P(SelectTest, DirectionalHandles) {
  run([] {
    auto c = gort::make_chan<int>(1);
    gort::SendChan<int> s = c;
    gort::RecvChan<int> r = c;
    EXPECT_EQ(gort::select(gort::on_send(s, 5), gort::on_default()), 0u);
    std::optional<int> v;
    EXPECT_EQ(gort::select(gort::on_recv(r, [&](std::optional<int> x) { v = x; })), 0u);
    EXPECT_EQ(v, std::optional<int>(5));
  });
}

TEST_P(SelectTest, FromPlainThreads) {
  run([] {
    auto a = gort::make_chan<int>(), b = gort::make_chan<int>();
    std::atomic<int> which{-1};
    std::optional<int> got;
    std::thread t([&, a, b] {
      which = static_cast<int>(
          gort::select(gort::on_recv(a), gort::on_recv(b, [&](std::optional<int> v) { got = v; })));
    });
    pause_for(5ms);
    b.send(4);
    gort::blocking([&] { t.join(); });
    EXPECT_EQ(which.load(), 1);
    EXPECT_EQ(got, std::optional<int>(4));
    // A goroutine's select woken by a thread's send.
    std::thread sender([a] {
      std::this_thread::sleep_for(5ms);
      a.send(8);
    });
    EXPECT_EQ(gort::select(gort::on_recv(b), gort::on_recv(a, [&](std::optional<int> v) { got = v; })), 1u);
    EXPECT_EQ(got, std::optional<int>(8));
    gort::blocking([&] { sender.join(); });
  });
}

TEST_P(SelectTest, ParkedSelectsAreUnwoundAtTeardown) {
  for (int round = 0; round < 3; ++round) {
    run([] {
      auto never = gort::make_chan<Counted>();
      auto full = gort::make_chan<Counted>(1);
      full.send(Counted(1));
      gort::go([never, full] {
        Counted local(2);
        gort::select(gort::on_recv(never), gort::on_send(full, Counted(3)));
      });
      gort::go([] { gort::select(); });  // blocks forever
      gort::go([] {
        gort::Chan<int> nil;
        gort::select(gort::on_recv(nil), gort::on_send(nil, 1));
      });
      // A select that is handed a value and made runnable, then abandoned.
      auto handoff = gort::make_chan<Counted>();
      std::atomic<bool> parked{false};
      gort::go([handoff, never, &parked] {
        parked = true;
        gort::select(gort::on_recv(handoff), gort::on_recv(never));
        gort::select();
      });
      while (!parked.load()) gort::yield();
      pause_for(5ms);
      handoff.send(Counted(4));
    });
    EXPECT_EQ(g_live.load(), 0);
  }
}

}  // namespace
