// runq_test.cpp -- the per-P run queue in isolation (runq.hpp): order, runnext,
// overflow, steal-half, and concurrent put/get/steal (run under TSan in CI).
#include <atomic>
#include <thread>
#include <vector>

#include "runq.hpp"
#include "test_util.hpp"

namespace {

using gort::detail::G;
using gort::detail::RunQueue;

// The queue never dereferences a G: distinct addresses are enough.
std::vector<char> g_arena(1 << 20);
G* fake(std::size_t i) { return reinterpret_cast<G*>(&g_arena[i]); }
std::size_t index_of(G* g) { return static_cast<std::size_t>(reinterpret_cast<char*>(g) - g_arena.data()); }

TEST(RunQueue, FifoRingAndRunnextFirst) {
  auto q = std::make_unique<RunQueue>();
  bool from_next = false;
  EXPECT_EQ(q->get(&from_next), nullptr);
  EXPECT_TRUE(q->empty());
  EXPECT_EQ(q->put(fake(1), false), nullptr);
  EXPECT_EQ(q->put(fake(2), false), nullptr);
  EXPECT_EQ(q->put(fake(3), true), nullptr);   // runnext
  EXPECT_EQ(q->put(fake(4), true), nullptr);   // kicks 3 to the ring's tail
  EXPECT_EQ(q->size(), 4u);
  EXPECT_EQ(q->get(&from_next), fake(4));
  EXPECT_TRUE(from_next);
  EXPECT_EQ(q->get(&from_next), fake(1));
  EXPECT_FALSE(from_next);
  EXPECT_EQ(q->get(&from_next), fake(2));
  EXPECT_EQ(q->get(&from_next), fake(3));
  EXPECT_EQ(q->get(&from_next), nullptr);
}

TEST(RunQueue, SkipRunnextTakesTheRingButFallsBack) {
  auto q = std::make_unique<RunQueue>();
  bool from_next = false;
  q->put(fake(1), false);
  q->put(fake(2), true);
  EXPECT_EQ(q->get(&from_next, /*skip_runnext=*/true), fake(1));
  EXPECT_EQ(q->get(&from_next, true), fake(2));  // ring empty: runnext after all
  EXPECT_TRUE(from_next);
}

TEST(RunQueue, OverflowHandsBackHalf) {
  auto q = std::make_unique<RunQueue>();
  for (std::size_t i = 0; i < RunQueue::kSize; ++i) ASSERT_EQ(q->put(fake(i), false), nullptr);
  G* left = q->put(fake(999), false);
  EXPECT_EQ(left, fake(999));
  G* batch[RunQueue::kSize / 2];
  EXPECT_EQ(q->take_half_for_overflow(batch), RunQueue::kSize / 2);
  for (std::size_t i = 0; i < RunQueue::kSize / 2; ++i) EXPECT_EQ(batch[i], fake(i));  // the oldest half
  EXPECT_EQ(q->put(fake(999), false), nullptr);
  bool from_next;
  EXPECT_EQ(q->get(&from_next), fake(RunQueue::kSize / 2));
}

TEST(RunQueue, StealTakesHalf) {
  auto victim = std::make_unique<RunQueue>();
  auto thief = std::make_unique<RunQueue>();
  for (std::size_t i = 0; i < 10; ++i) victim->put(fake(i), false);
  G* got = victim->steal_into(*thief, false);
  EXPECT_NE(got, nullptr);
  EXPECT_EQ(thief->size() + 1 + victim->size(), 10u);
  EXPECT_EQ(victim->size(), 5u);
  // Only runnext left: stolen only when asked to.
  auto lone = std::make_unique<RunQueue>();
  lone->put(fake(7), true);
  EXPECT_EQ(lone->steal_into(*thief, false), nullptr);
  auto empty_thief = std::make_unique<RunQueue>();
  EXPECT_EQ(lone->steal_into(*empty_thief, true), fake(7));
}

// One owner putting and getting, two thieves stealing: every G comes out exactly once.
TEST(RunQueue, ConcurrentPutGetStealLosesNothing) {
  const std::size_t n = static_cast<std::size_t>(gort_test::scaled(200000, 20000));
  auto owner = std::make_unique<RunQueue>();
  std::vector<std::atomic<int>> seen(n);
  std::atomic<bool> done{false};
  std::atomic<std::size_t> consumed{0};
  auto consume = [&](G* g) {
    seen[index_of(g)].fetch_add(1);
    consumed.fetch_add(1);
  };
  std::vector<std::thread> thieves;
  for (int t = 0; t < 2; ++t) {
    thieves.emplace_back([&] {
      auto mine = std::make_unique<RunQueue>();
      while (!done.load() || !owner->empty()) {
        if (G* g = owner->steal_into(*mine, true)) {
          consume(g);
          bool fn;
          while (G* h = mine->get(&fn)) consume(h);
        }
      }
    });
  }
  std::vector<G*> overflow;
  bool fn;
  for (std::size_t i = 0; i < n; ++i) {
    G* left = owner->put(fake(i), i % 3 == 0);
    while (left != nullptr) {
      G* batch[RunQueue::kSize / 2];
      std::uint32_t k = owner->take_half_for_overflow(batch);
      if (k == 0) {
        left = owner->put(left, false);
        continue;
      }
      overflow.insert(overflow.end(), batch, batch + k);
      overflow.push_back(left);
      left = nullptr;
    }
    if (i % 2 == 0)
      if (G* g = owner->get(&fn)) consume(g);
  }
  while (G* g = owner->get(&fn)) consume(g);
  done = true;
  for (auto& t : thieves) t.join();
  for (G* g : overflow) consume(g);
  EXPECT_EQ(consumed.load(), n);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "G " << i;
}

}  // namespace

namespace {

// One P: the owner is the only consumer and uses plain stores; same semantics.
TEST(RunQueue, SoleConsumerModeKeepsTheOrder) {
  auto q = std::make_unique<RunQueue>();
  q->set_sole_consumer(true);
  bool from_next = false;
  q->put(fake(1), false);
  q->put(fake(2), true);
  q->put(fake(3), true);  // kicks 2 to the tail
  EXPECT_EQ(q->get(&from_next), fake(3));
  EXPECT_TRUE(from_next);
  EXPECT_EQ(q->get(&from_next, /*skip_runnext=*/true), fake(1));
  EXPECT_EQ(q->get(&from_next), fake(2));
  EXPECT_EQ(q->get(&from_next), nullptr);
  for (std::size_t i = 0; i < 3 * RunQueue::kSize; ++i) {
    if (q->put(fake(i), false) != nullptr) {
      G* batch[RunQueue::kSize / 2];
      ASSERT_EQ(q->take_half_for_overflow(batch), RunQueue::kSize / 2);
      ASSERT_EQ(q->put(fake(i), false), nullptr);
    }
    if (i % 3 == 0) {
      ASSERT_NE(q->get(&from_next), nullptr);
    }
  }
}

}  // namespace
