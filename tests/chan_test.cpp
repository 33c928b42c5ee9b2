// chan_test.cpp -- channels: nil, unbuffered hand-off, buffered FIFO (with parked
// senders), close, try_*, range-for, directional handles, move-only / empty /
// over-aligned elements, lifetime (values left in a dropped channel, teardown of
// parked goroutines), and every operation from plain threads.  Each over max_procs 1, 2, 4.
#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "test_util.hpp"

namespace {

using gort_test::ProcsTest;
using namespace std::chrono_literals;

class ChanTest : public ProcsTest {};
GORT_INSTANTIATE_PROCS(ChanTest);

// Lets other goroutines (and threads) run for a while: the caller's P is free meanwhile.
void pause_for(std::chrono::milliseconds d) {
  gort::blocking([d] { std::this_thread::sleep_for(d); });
}

std::string panic_text(const std::optional<gort::Panic>& p) { return p ? p->what() : "<no panic>"; }

// Waits until `n` goroutines are parked in a channel operation or a select (their
// state in dump_goroutines), i.e. fully committed to their wait.
void wait_parked_in_chan_ops(int n) {
  for (;;) {
    std::ostringstream dump;
    gort::dump_goroutines(dump);
    const std::string s = dump.str();
    int parked = 0;
    for (const char* state : {"[chan send", "[chan receive", "[select"})
      for (auto pos = s.find(state); pos != std::string::npos; pos = s.find(state, pos + 1)) ++parked;
    if (parked >= n) return;
    pause_for(1ms);
  }
}

std::atomic<int> g_live{0};
struct Counted {  // move-only, counts live instances (moved-from ones included)
  int v = 0;
  explicit Counted(int x = 0) : v(x) { g_live.fetch_add(1); }
  Counted(Counted&& o) noexcept : v(o.v) { g_live.fetch_add(1); }
  Counted(const Counted&) = delete;
  Counted& operator=(Counted&&) = default;
  ~Counted() { g_live.fetch_sub(1); }
};

struct EmptyCounted {  // empty, but its constructors and destructor count
  EmptyCounted() { g_live.fetch_add(1); }
  EmptyCounted(EmptyCounted&&) noexcept { g_live.fetch_add(1); }
  ~EmptyCounted() { g_live.fetch_sub(1); }
};

struct NoDefault {
  explicit NoDefault(int x) : v(x) {}
  int v;
};

struct Empty {};

struct alignas(64) Wide {
  unsigned char bytes[64];
};

// ------------------------------------------------------------------- handles

static_assert(std::is_convertible_v<gort::Chan<int>, gort::SendChan<int>>);
static_assert(std::is_convertible_v<gort::Chan<int>, gort::RecvChan<int>>);
static_assert(!std::is_convertible_v<gort::SendChan<int>, gort::RecvChan<int>>);
static_assert(!std::is_convertible_v<gort::RecvChan<int>, gort::SendChan<int>>);
static_assert(!std::is_convertible_v<gort::RecvChan<int>, gort::Chan<int>>);
static_assert(!std::is_convertible_v<gort::Chan<int>, gort::Chan<long>>);
template <class C>
concept CanSend = requires(C c, int v) { c.send(v); };
template <class C>
concept CanRecv = requires(C c) { c.recv(); };
template <class C>
concept CanClose = requires(C c) { c.close(); };
static_assert(CanSend<gort::Chan<int>> && CanRecv<gort::Chan<int>> && CanClose<gort::Chan<int>>);
static_assert(CanSend<gort::SendChan<int>> && !CanRecv<gort::SendChan<int>> && CanClose<gort::SendChan<int>>);
static_assert(!CanSend<gort::RecvChan<int>> && CanRecv<gort::RecvChan<int>> && !CanClose<gort::RecvChan<int>>);
static_assert(std::input_iterator<decltype(std::declval<gort::Chan<int>&>().begin())>);

TEST_P(ChanTest, NilChannel) {
  run([] {
    gort::Chan<int> nil;
    EXPECT_FALSE(nil);
    EXPECT_EQ(nil.size(), 0u);
    EXPECT_EQ(nil.capacity(), 0u);
    EXPECT_TRUE(nil == gort::Chan<int>{});
    EXPECT_FALSE(nil.try_send(1));
    EXPECT_FALSE(nil.try_recv().has_value());
    EXPECT_EQ(panic_text(gort::recover([&] { nil.close(); })), "close of nil channel");
    gort::SendChan<int> s;
    EXPECT_EQ(panic_text(gort::recover([&] { s.close(); })), "close of nil channel");
  });
}

TEST_P(ChanTest, HandlesShareOneChannel) {
  run([] {
    auto a = gort::make_chan<int>(2);
    EXPECT_TRUE(a);
    auto b = a;  // same channel
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a == gort::make_chan<int>(2));
    gort::SendChan<int> s = a;
    gort::RecvChan<int> r = std::move(b);
    EXPECT_FALSE(b);  // moved-from handle is nil
    EXPECT_TRUE(s == a);  // via the implicit conversion
    s.send(7);
    EXPECT_EQ(a.size(), 1u);
    EXPECT_EQ(r.recv(), std::optional<int>(7));
    gort::Chan<int> c;
    c = a;
    EXPECT_TRUE(c == a);
    std::unordered_set<gort::Chan<int>> set{a, c, gort::make_chan<int>()};
    EXPECT_EQ(set.size(), 2u);
    const gort::Chan<int> k = a;  // a const handle still sends and receives
    k.send(1);
    EXPECT_EQ(k.recv(), std::optional<int>(1));
  });
}

// ---------------------------------------------------------------- unbuffered

TEST_P(ChanTest, UnbufferedSenderWaitsForReceiver) {
  run([] {
    auto ch = gort::make_chan<int>();
    std::atomic<bool> sent{false};
    gort::WaitGroup wg;
    wg.go([&] {
      ch.send(42);
      sent = true;
    });
    pause_for(20ms);
    EXPECT_FALSE(sent.load());
    EXPECT_EQ(ch.size(), 0u);
    EXPECT_EQ(ch.recv(), std::optional<int>(42));
    wg.wait();
    EXPECT_TRUE(sent.load());
  });
}

TEST_P(ChanTest, UnbufferedReceiverWaitsForSender) {
  run([] {
    auto ch = gort::make_chan<int>();
    std::atomic<int> got{-1};
    gort::WaitGroup wg;
    wg.go([&] { got = ch.recv().value_or(-2); });
    pause_for(20ms);
    EXPECT_EQ(got.load(), -1);
    ch.send(5);
    wg.wait();
    EXPECT_EQ(got.load(), 5);
  });
}

TEST_P(ChanTest, PingPong) {
  run([] {
    auto ping = gort::make_chan<int>(), pong = gort::make_chan<int>();
    gort::go([ping, pong] {
      for (int v : ping) pong.send(v + 1);
      pong.close();
    });
    for (int i = 0; i < 10000; ++i) {
      ping.send(i);
      ASSERT_EQ(pong.recv(), std::optional<int>(i + 1));
    }
    ping.close();
    EXPECT_FALSE(pong.recv().has_value());
  });
}

TEST_P(ChanTest, HandOffPublishesPlainWrites) {
  run([] {
    for (int round = 0; round < 200; ++round) {
      std::vector<int> data(256);
      auto ready = gort::make_chan<int>();
      gort::go([&data, ready] {
        for (int i = 0; i < 256; ++i) data[i] = i * 3;
        ready.send(0);
      });
      (void)ready.recv();
      for (int i = 0; i < 256; ++i) ASSERT_EQ(data[i], i * 3);
    }
  });
}

// ------------------------------------------------------------------ buffered

TEST_P(ChanTest, BufferedFifoAndWrapAround) {
  run([] {
    auto ch = gort::make_chan<int>(4);
    EXPECT_EQ(ch.capacity(), 4u);
    for (int i = 0; i < 4; ++i) ch.send(i);
    EXPECT_EQ(ch.size(), 4u);
    EXPECT_FALSE(ch.try_send(9));
    int in = 4, out = 0;
    for (int i = 0; i < 50; ++i) {  // round the ring many times
      ASSERT_EQ(ch.recv(), std::optional<int>(out++));
      ch.send(in++);
    }
    while (out < in) ASSERT_EQ(ch.recv(), std::optional<int>(out++));
    EXPECT_EQ(ch.size(), 0u);
  });
}

TEST_P(ChanTest, ParkedSendersEnterTheFreedSlotInOrder) {
  run([] {
    auto ch = gort::make_chan<int>(2);
    ch.send(1);
    ch.send(2);
    gort::WaitGroup wg;
    std::atomic<int> parked{0};
    for (int v = 3; v <= 5; ++v) {
      wg.go([&, v] {
        parked.fetch_add(1);
        ch.send(v);
      });
      // Make sure v's sender is queued before the next one starts.
      while (parked.load() < v - 2) gort::yield();
      pause_for(5ms);
    }
    EXPECT_EQ(ch.size(), 2u);
    for (int v = 1; v <= 5; ++v) EXPECT_EQ(ch.recv(), std::optional<int>(v));
    wg.wait();
    EXPECT_EQ(ch.size(), 0u);
  });
}

TEST_P(ChanTest, ProducersKeepTheirOrder) {
  run([] {
    constexpr int kProducers = 4, kN = 2000;
    auto q = gort::make_chan<std::pair<int, int>>(8);
    gort::WaitGroup wg;
    for (int p = 0; p < kProducers; ++p)
      wg.go([q, p] {
        for (int i = 0; i < kN; ++i) q.send({p, i});
      });
    gort::go([&wg, q] {
      wg.wait();
      q.close();
    });
    std::vector<int> next(kProducers, 0);
    int count = 0;
    for (auto [p, i] : q) {
      ASSERT_EQ(i, next[p]);
      next[p] = i + 1;
      ++count;
    }
    EXPECT_EQ(count, kProducers * kN);
  });
}

// --------------------------------------------------------------------- close

TEST_P(ChanTest, CloseDrainsThenReportsClosed) {
  run([] {
    auto ch = gort::make_chan<int>(3);
    ch.send(1);
    ch.send(2);
    ch.close();
    EXPECT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch.recv(), std::optional<int>(1));
    EXPECT_EQ(ch.try_recv(), std::optional<int>(2));
    EXPECT_FALSE(ch.recv().has_value());
    EXPECT_FALSE(ch.try_recv().has_value());
    EXPECT_EQ(panic_text(gort::recover([&] { ch.send(3); })), "send on closed channel");
    EXPECT_EQ(panic_text(gort::recover([&] { (void)ch.try_send(3); })), "send on closed channel");  // as Go's select
    EXPECT_EQ(panic_text(gort::recover([&] { ch.close(); })), "close of closed channel");
    auto u = gort::make_chan<int>();
    u.close();
    EXPECT_FALSE(u.recv().has_value());
    EXPECT_EQ(panic_text(gort::recover([&] { u.send(1); })), "send on closed channel");
  });
}

TEST_P(ChanTest, CloseWakesEveryReceiver) {
  run([] {
    for (int cap : {0, 3}) {
      auto ch = gort::make_chan<int>(static_cast<std::size_t>(cap));
      constexpr int kR = 16;
      std::atomic<int> woke_closed{0};
      gort::WaitGroup wg;
      for (int i = 0; i < kR; ++i)
        wg.go([&] {
          if (!ch.recv().has_value()) woke_closed.fetch_add(1);
        });
      pause_for(10ms);
      ch.close();
      wg.wait();
      EXPECT_EQ(woke_closed.load(), kR);
    }
  });
}

TEST_P(ChanTest, CloseMakesParkedSendersPanic) {
  run([] {
    for (int cap : {0, 1}) {
      auto ch = gort::make_chan<Counted>(static_cast<std::size_t>(cap));
      if (cap == 1) ch.send(Counted(0));  // full: the next senders park
      constexpr int kS = 8;
      std::atomic<int> panicked{0};
      gort::WaitGroup wg;
      for (int i = 0; i < kS; ++i)
        wg.go([&, i] {
          if (panic_text(gort::recover([&] { ch.send(Counted(i + 1)); })) == "send on closed channel")
            panicked.fetch_add(1);
        });
      pause_for(10ms);
      ch.close();
      wg.wait();
      EXPECT_EQ(panicked.load(), kS);
      if (cap == 1) {
        EXPECT_EQ(ch.recv()->v, 0);  // the buffered value is still there
      }
      EXPECT_FALSE(ch.recv().has_value());
    }
    EXPECT_EQ(g_live.load(), 0);
  });
}

// ---------------------------------------------------------------------- try_*

TEST_P(ChanTest, TryOperationsNeverBlock) {
  run([] {
    auto ub = gort::make_chan<std::unique_ptr<int>>();
    auto p = std::make_unique<int>(1);
    EXPECT_FALSE(ub.try_send(std::move(p)));
    ASSERT_NE(p, nullptr);  // untouched
    EXPECT_FALSE(ub.try_recv().has_value());

    auto b = gort::make_chan<std::unique_ptr<int>>(1);
    EXPECT_TRUE(b.try_send(std::move(p)));
    EXPECT_EQ(p, nullptr);
    auto q = std::make_unique<int>(2);
    EXPECT_FALSE(b.try_send(std::move(q)));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(*q, 2);
    EXPECT_EQ(**b.try_recv(), 1);

    auto ci = gort::make_chan<int>(1);
    const int two = 2;
    EXPECT_TRUE(ci.try_send(two));
    EXPECT_FALSE(ci.try_send(two));
  });
}

TEST_P(ChanTest, TryOperationsMeetParkedPartners) {
  run([] {
    auto ch = gort::make_chan<int>();
    auto out = gort::make_chan<int>(1);
    gort::go([ch, out] { out.send(ch.recv().value_or(-1)); });
    while (!ch.try_send(77)) gort::yield();
    EXPECT_EQ(out.recv(), std::optional<int>(77));

    gort::go([ch] { ch.send(88); });
    std::optional<int> r;
    while (!(r = ch.try_recv())) gort::yield();
    EXPECT_EQ(r, std::optional<int>(88));
  });
}

// ---------------------------------------------------------------- range-for

TEST_P(ChanTest, RangeForReceivesUntilClosed) {
  run([] {
    auto ch = gort::make_chan<int>(3);
    gort::go([ch] {
      for (int i = 1; i <= 100; ++i) ch.send(i);
      ch.close();
    });
    int sum = 0;
    for (int v : ch) sum += v;
    EXPECT_EQ(sum, 5050);

    auto b = gort::make_chan<int>(5);
    for (int i = 0; i < 5; ++i) b.send(i);
    b.close();
    for (int v : b)
      if (v == 1) break;
    EXPECT_EQ(b.recv(), std::optional<int>(2));  // the rest stays receivable
    gort::RecvChan<int> r = b;
    int rest = 0;
    for (auto&& v : r) rest += v;
    EXPECT_EQ(rest, 3 + 4);
  });
}

// ------------------------------------------------------------ element types

TEST_P(ChanTest, MoveOnlyAndNonDefaultConstructible) {
  run([] {
    auto u = gort::make_chan<std::unique_ptr<int>>();
    gort::go([u] {
      for (int i = 0; i < 10; ++i) u.send(std::make_unique<int>(i));
      u.close();
    });
    int expect = 0;
    for (std::unique_ptr<int> p : u) {
      ASSERT_TRUE(p);
      EXPECT_EQ(*p, expect++);
    }
    EXPECT_EQ(expect, 10);

    auto nd = gort::make_chan<NoDefault>(1);
    nd.send(NoDefault(3));
    EXPECT_EQ(nd.recv()->v, 3);
    auto ndu = gort::make_chan<NoDefault>();
    gort::go([ndu] { ndu.send(NoDefault(4)); });
    EXPECT_EQ(ndu.recv()->v, 4);
  });
}

TEST_P(ChanTest, BufferedValuesAreDestroyedWithTheLastHandle) {
  run([] {
    {
      auto c = gort::make_chan<Counted>(4);
      c.send(Counted(1));
      c.send(Counted(2));
      c.send(Counted(3));
      EXPECT_EQ(c.recv()->v, 1);
      c.send(Counted(4));
      c.send(Counted(5));  // wraps round the ring
      EXPECT_EQ(g_live.load(), 4);
      auto other = c;
    }
    EXPECT_EQ(g_live.load(), 0);
    {
      auto s = gort::make_chan<std::string>(2);
      s.send(std::string(100, 'x'));  // heap-allocated: LSan reports it if leaked
    }
  });
}

TEST_P(ChanTest, ZeroSizeElements) {
  run([] {
    static_assert(gort::detail::ChanElem<Empty>::type.size == 0);
    // Go's zerosize: a huge buffer of empty values costs no memory.
    auto big = gort::make_chan<Empty>(std::size_t{1} << 40);
    EXPECT_EQ(big.capacity(), std::size_t{1} << 40);
    for (int i = 0; i < 1000; ++i) big.send(Empty{});
    EXPECT_EQ(big.size(), 1000u);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(big.recv().has_value());
    auto sig = gort::make_chan<Empty>();
    gort::go([sig] { sig.send({}); sig.close(); });
    EXPECT_TRUE(sig.recv().has_value());
    EXPECT_FALSE(sig.recv().has_value());
    // An empty class that is not trivial still goes through its constructors.
    static_assert(std::is_empty_v<EmptyCounted> && gort::detail::ChanElem<EmptyCounted>::type.size != 0);
    {
      auto ec = gort::make_chan<EmptyCounted>(2);
      ec.send(EmptyCounted{});
      ec.send(EmptyCounted{});
      (void)ec.recv();
      EXPECT_EQ(g_live.load(), 1);
    }
    EXPECT_EQ(g_live.load(), 0);
  });
}

TEST_P(ChanTest, OverAlignedElements) {
  run([] {
    auto ch = gort::make_chan<Wide>(3);
    for (int i = 0; i < 3; ++i) {
      Wide w{};
      w.bytes[0] = static_cast<unsigned char>(i);
      w.bytes[63] = static_cast<unsigned char>(i + 1);
      ch.send(w);
    }
    for (int i = 0; i < 3; ++i) {
      auto w = ch.recv();
      ASSERT_TRUE(w);
      EXPECT_EQ(w->bytes[0], i);
      EXPECT_EQ(w->bytes[63], i + 1);
    }
  });
}

TEST_P(ChanTest, SizeOutOfRangePanics) {
  run([] {
    EXPECT_EQ(panic_text(gort::recover([] { (void)gort::make_chan<std::uint64_t>(std::size_t{1} << 62); })),
              "makechan: size out of range");
  });
}

// ----------------------------------------------------------------- threads

TEST_P(ChanTest, ThreadsAndGoroutinesBothWays) {
  run([] {
    auto to_g = gort::make_chan<int>();
    std::thread producer([to_g] {
      for (int i = 0; i < 500; ++i) to_g.send(i);
      to_g.close();
    });
    int expect = 0;
    for (int v : to_g) ASSERT_EQ(v, expect++);
    EXPECT_EQ(expect, 500);
    gort::blocking([&] { producer.join(); });

    auto ping = gort::make_chan<int>(), pong = gort::make_chan<int>(1);
    std::thread echo([ping, pong] {
      for (int v : ping) pong.send(v * 2);
      pong.close();
    });
    for (int i = 0; i < 500; ++i) {
      ping.send(i);
      ASSERT_EQ(pong.recv(), std::optional<int>(i * 2));
    }
    ping.close();
    EXPECT_FALSE(pong.recv().has_value());
    gort::blocking([&] { echo.join(); });

    // A thread blocked in recv, woken by a goroutine's close.
    auto c = gort::make_chan<int>();
    std::atomic<int> state{0};
    std::thread waiter([c, &state] { state = c.recv().has_value() ? 1 : 2; });
    pause_for(10ms);
    EXPECT_EQ(state.load(), 0);
    c.close();
    gort::blocking([&] { waiter.join(); });
    EXPECT_EQ(state.load(), 2);
  });
}

TEST_P(ChanTest, GoroutineInsideBlockingWaitsAsAThread) {
  run([] {
    auto ch = gort::make_chan<int>();
    gort::go([ch] {
      pause_for(5ms);
      ch.send(9);
    });
    int v = gort::blocking([&] { return ch.recv().value_or(-1); });
    EXPECT_EQ(v, 9);
  });
}

TEST(ChanThreads, WorkWithoutTheRuntime) {
  // Plain threads only, no run(): every party blocks on a futex.
  auto ch = gort::make_chan<int>();
  auto done = gort::make_chan<long>(1);
  std::thread consumer([ch, done] {
    long sum = 0;
    for (int v : ch) sum += v;
    done.send(sum);
  });
  for (int i = 1; i <= 1000; ++i) ch.send(i);
  ch.close();
  EXPECT_EQ(done.recv(), std::optional<long>(500500));
  consumer.join();
}

// --------------------------------------------------------------- teardown

TEST_P(ChanTest, ParkedGoroutinesAreUnwoundAtTeardown) {
  for (int round = 0; round < 3; ++round) {
    run([] {
      auto never = gort::make_chan<Counted>();
      auto full = gort::make_chan<Counted>(1);
      full.send(Counted(1));
      gort::go([never, t = Counted(2)] { (void)never.recv(); });
      gort::go([full, t = Counted(3)] { full.send(Counted(4)); });
      gort::go([never] { never.send(Counted(5)); });
      gort::go([] {
        gort::Chan<Counted> nil;
        Counted local(6);
        (void)nil.recv();
      });
      gort::go([] { gort::Chan<int>{}.send(1); });
      pause_for(10ms);
      // main returns with all of them parked (and the channels held only by them)
    });
    EXPECT_EQ(g_live.load(), 0);
  }
}

TEST_P(ChanTest, ParkedPartiesKeepTheirChannelAlive) {
  // Goroutines that captured the channels by reference are parked on them when main
  // returns and destroys its handles: the channels must outlive the waits (teardown
  // unlinks the waiters from them), then be freed with the values they still hold.
  for (int round = 0; round < 3; ++round) {
    run([] {
      auto full = gort::make_chan<Counted>(1);
      full.send(Counted(1));
      auto empty = gort::make_chan<Counted>();
      auto a = gort::make_chan<int>(), b = gort::make_chan<int>();
      gort::go([&] { full.send(Counted(2)); });
      gort::go([&] {
        for (auto&& v : empty) (void)v;
      });
      gort::go([&] { gort::select(gort::on_recv(a), gort::on_recv(b), gort::on_send(full, Counted(3))); });
      // Parked, each holds the channel itself; until then it may still read main's
      // handles, which are about to go.
      wait_parked_in_chan_ops(3);
    });
    EXPECT_EQ(g_live.load(), 0);
  }
}

// The last handle of a channel dies while a select waits on it (the select borrowed
// it): the channel outlives the wait, and is freed, with the value it buffers, once
// the woken select has unlinked itself -- not at teardown, not never.
TEST_P(ChanTest, AChannelOrphanedUnderAParkedSelectIsFreedWhenTheSelectLeaves) {
  for (int round = 0; round < 3; ++round) {
    run([] {
      auto* orphan = new gort::Chan<Counted>(gort::make_chan<Counted>(2));
      orphan->send(Counted(1));
      auto full = *orphan;  // a second handle, to fill the buffer, then dropped
      full.send(Counted(2));
      full = {};
      auto wake = gort::make_chan<int>(), done = gort::make_chan<int>();
      gort::go([orphan, wake, done] {
        gort::select(gort::on_send(*orphan, Counted(3)), gort::on_recv(wake));
        done.send(1);
      });
      wait_parked_in_chan_ops(1);
      delete orphan;  // the last handle: the parked select still pins the channel
      EXPECT_GE(g_live.load(), 3);  // two buffered, one (at least) in the select
      wake.send(1);
      (void)done.recv();
      EXPECT_EQ(g_live.load(), 0);  // freed by the select's unlink, values with it
    });
    EXPECT_EQ(g_live.load(), 0);
  }
}

// A timer's channel whose last handle died while a party waits on it: the timer still
// fires (Go: the waiting goroutine keeps the channel reachable), and the party woken
// frees the channel, for a plain receive and for a select.
TEST_P(ChanTest, ATimerStillWakesAPartyWhoseChannelLostItsLastHandle) {
  run([] {
    auto done = gort::make_chan<int>();
    auto never = gort::make_chan<int>();
    auto* single = new gort::RecvChan<gort::Clock::time_point>(gort::after(30ms));
    auto* in_select = new gort::RecvChan<gort::Clock::time_point>(gort::after(30ms));
    gort::go([single, done] {
      gort::select(gort::on_recv(*single, [](auto v) { EXPECT_TRUE(v.has_value()); }));
      done.send(1);
    });
    gort::go([in_select, never, done] {
      EXPECT_EQ(gort::select(gort::on_recv(never), gort::on_recv(*in_select)), 1u);
      done.send(2);
    });
    wait_parked_in_chan_ops(2);
    delete single;
    delete in_select;
    (void)done.recv();
    (void)done.recv();
  });
}

TEST_P(ChanTest, ValueHandedToAGoroutineThatIsThenAbandoned) {
  // The receiver is made runnable with the value in its frame, but main returns before
  // it runs again (certainly with one P): teardown unwinds it, and the value must be
  // destroyed, not leaked.
  for (int round = 0; round < 5; ++round) {
    run([] {
      auto ch = gort::make_chan<Counted>();
      std::atomic<bool> parked{false};
      gort::go([ch, &parked] {
        parked = true;
        auto v = ch.recv();
        gort::Chan<int>{}.send(1);  // block forever if it does run
      });
      while (!parked.load()) gort::yield();
      pause_for(2ms);
      ch.send(Counted(7));
    });
    EXPECT_EQ(g_live.load(), 0);
  }
}

}  // namespace
