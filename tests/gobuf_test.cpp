// gobuf_test.cpp -- the raw switch layer: callee-saved registers and FP control words
// survive a switch, values travel through it, exceptions unwind within a context.
#include <cfenv>
#include <cstdint>

#include "gobuf.hpp"
#include "stack.hpp"
#include "test_util.hpp"

namespace {

using gort::detail::Gobuf;
using gort::detail::gobuf_arrived;
using gort::detail::gobuf_init;
using gort::detail::gobuf_release;
using gort::detail::gobuf_switch;
using gort::detail::Stack;

struct Ping {
  Gobuf main_ctx;
  Gobuf co_ctx;
  int count = 0;
};

void ping_entry(void* transfer, void* data) {
  gobuf_arrived(nullptr, static_cast<Gobuf*>(transfer));
  auto* p = static_cast<Ping*>(data);
  for (;;) {
    ++p->count;
    gobuf_switch(&p->co_ctx, &p->main_ctx, gort::detail::this_thread_eh());
  }
}

class SwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = gort::detail::stack_alloc(gort::detail::stack_size_for(0));
    gobuf_init(&p_.co_ctx, stack_.lo, stack_.hi, stack_.canary(), ping_entry, &p_);
  }
  void TearDown() override {
    gobuf_release(&p_.co_ctx);
    gort::detail::stack_free(stack_);
  }
  Stack stack_;
  Ping p_;
};

TEST_F(SwitchTest, RoundTripsReturnToTheCaller) {
  for (int i = 1; i <= 1000; ++i) {
    Gobuf* prev = gobuf_switch(&p_.main_ctx, &p_.co_ctx, gort::detail::this_thread_eh());
    EXPECT_EQ(prev, &p_.co_ctx);
    ASSERT_EQ(p_.count, i);
  }
}

#if defined(__x86_64__)
// Fills every callee-saved register with a known value, switches away and back, and
// checks they all survived (the compiler cannot keep them itself: the asm pins them).
TEST_F(SwitchTest, CalleeSavedRegistersSurvive) {
#if GORT_ASAN || GORT_TSAN
  GTEST_SKIP() << "a raw switch, without the sanitizer annotations of gobuf_switch";
#endif
  std::uint64_t out[6] = {};
  std::uint64_t* out_ptr = out;
  void** save_sp = &p_.main_ctx.sp;
  void* next_sp = p_.co_ctx.sp;
  void* transfer = &p_.main_ctx;
  asm volatile(
      "push %%rbp\n\t"
      "push %%rbx\n\t"
      "push %%r12\n\t"
      "push %%r13\n\t"
      "push %%r14\n\t"
      "push %%r15\n\t"
      "push %[out]\n\t"
      "sub $8, %%rsp\n\t"
      "movabs $0x1111111111111111, %%rbx\n\t"
      "movabs $0x2222222222222222, %%rbp\n\t"
      "movabs $0x3333333333333333, %%r12\n\t"
      "movabs $0x4444444444444444, %%r13\n\t"
      "movabs $0x5555555555555555, %%r14\n\t"
      "movabs $0x6666666666666666, %%r15\n\t"
      "call gort_swap_context\n\t"
      "add $8, %%rsp\n\t"
      "pop %%rax\n\t"
      "mov %%rbx, 0(%%rax)\n\t"
      "mov %%rbp, 8(%%rax)\n\t"
      "mov %%r12, 16(%%rax)\n\t"
      "mov %%r13, 24(%%rax)\n\t"
      "mov %%r14, 32(%%rax)\n\t"
      "mov %%r15, 40(%%rax)\n\t"
      "pop %%r15\n\t"
      "pop %%r14\n\t"
      "pop %%r13\n\t"
      "pop %%r12\n\t"
      "pop %%rbx\n\t"
      "pop %%rbp\n\t"
      : "+D"(save_sp), "+S"(next_sp), "+d"(transfer), [out] "+a"(out_ptr)
      :
      : "rcx", "r8", "r9", "r10", "r11", "memory", "cc");
  // The ping context switched back with gobuf_switch: sanitizer bookkeeping happened on
  // its side only, which is fine for a raw round trip in an uninstrumented asm block.
  EXPECT_EQ(out[0], 0x1111111111111111ULL);
  EXPECT_EQ(out[1], 0x2222222222222222ULL);
  EXPECT_EQ(out[2], 0x3333333333333333ULL);
  EXPECT_EQ(out[3], 0x4444444444444444ULL);
  EXPECT_EQ(out[4], 0x5555555555555555ULL);
  EXPECT_EQ(out[5], 0x6666666666666666ULL);
  EXPECT_EQ(p_.count, 1);
}
#endif

// Floating-point control state is per context: a rounding mode set in one context
// is restored when the other is resumed.
struct FpPing {
  Gobuf main_ctx, co_ctx;
  int seen_in_co = -1;
};

void fp_entry(void* transfer, void* data) {
  gobuf_arrived(nullptr, static_cast<Gobuf*>(transfer));
  auto* p = static_cast<FpPing*>(data);
  std::fesetround(FE_UPWARD);  // this context's own mode
  for (;;) {
    gobuf_switch(&p->co_ctx, &p->main_ctx, gort::detail::this_thread_eh());
    p->seen_in_co = std::fegetround();
  }
}

TEST(Switch, FloatingPointControlWordsArePerContext) {
  Stack st = gort::detail::stack_alloc(gort::detail::stack_size_for(0));
  FpPing p;
  std::fesetround(FE_TONEAREST);
  gobuf_init(&p.co_ctx, st.lo, st.hi, st.canary(), fp_entry, &p);
  gobuf_switch(&p.main_ctx, &p.co_ctx, gort::detail::this_thread_eh());  // co sets FE_UPWARD and switches back
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);
  std::fesetround(FE_DOWNWARD);
  gobuf_switch(&p.main_ctx, &p.co_ctx, gort::detail::this_thread_eh());  // co reads its own mode
  EXPECT_EQ(p.seen_in_co, FE_UPWARD);
  EXPECT_EQ(std::fegetround(), FE_DOWNWARD);
  std::fesetround(FE_TONEAREST);
  gobuf_release(&p.co_ctx);
  gort::detail::stack_free(st);
}

}  // namespace
