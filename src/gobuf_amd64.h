/* Saved-register frame of gort_swap_context on x86-64 System V.
 *
 * Shared by asm_amd64.S, which sees only the #defines, and gobuf.hpp, which also gets
 * the C++ struct SwitchFrame below with every offset checked by static_assert: a
 * change on one side cannot silently miss the other (Marl's osfiber_asm_x64.h).
 *
 * The frame is pushed on the stack being left; Gobuf.sp points at its first byte.
 * Only what the ABI makes callee-saved is kept: rbx, rbp, r12-r15, the MXCSR control
 * bits and the x87 control word.  Everything else is caller-saved, so the compiler has
 * already spilled it around the call to gort_swap_context.
 */
#pragma once

#define GORT_FRAME_MXCSR 0   /* 4 bytes: SSE control/status (rounding, exception masks) */
#define GORT_FRAME_FPCW 4    /* 2 bytes: x87 control word; 2 bytes padding */
#define GORT_FRAME_R15 8
#define GORT_FRAME_R14 16
#define GORT_FRAME_R13 24
#define GORT_FRAME_R12 32
#define GORT_FRAME_RBX 40
#define GORT_FRAME_RBP 48
#define GORT_FRAME_RIP 56    /* return address pushed by the call into the switch */
#define GORT_FRAME_SIZE 64   /* keeps the saved sp 16-byte aligned */

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>

namespace gort::detail {

struct SwitchFrame {
  std::uint32_t mxcsr;
  std::uint16_t fpcw, pad;
  std::uint64_t r15, r14, r13, r12, rbx, rbp, rip;
};
static_assert(offsetof(SwitchFrame, mxcsr) == GORT_FRAME_MXCSR);
static_assert(offsetof(SwitchFrame, fpcw) == GORT_FRAME_FPCW);
static_assert(offsetof(SwitchFrame, r15) == GORT_FRAME_R15);
static_assert(offsetof(SwitchFrame, r14) == GORT_FRAME_R14);
static_assert(offsetof(SwitchFrame, r13) == GORT_FRAME_R13);
static_assert(offsetof(SwitchFrame, r12) == GORT_FRAME_R12);
static_assert(offsetof(SwitchFrame, rbx) == GORT_FRAME_RBX);
static_assert(offsetof(SwitchFrame, rbp) == GORT_FRAME_RBP);
static_assert(offsetof(SwitchFrame, rip) == GORT_FRAME_RIP);
static_assert(sizeof(SwitchFrame) == GORT_FRAME_SIZE && GORT_FRAME_SIZE % 16 == 0);

}  // namespace gort::detail
#endif  /* __ASSEMBLER__ */
