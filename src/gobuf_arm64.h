/* Saved-register frame of gort_swap_context on AArch64 (AAPCS64, Linux).
 *
 * Shared by asm_arm64.S, which sees only the #defines, and gobuf.hpp, which also gets
 * the C++ struct SwitchFrame below with the offsets checked by static_assert.
 * Callee-saved per AAPCS64: x19-x28, the frame pointer x29, the link register x30,
 * the low 64 bits of v8-v15 (d8-d15), and the FP control register FPCR.  The assembly
 * saves them in pairs (stp), so each pair's first offset is named.
 */
#pragma once

#define GORT_FRAME_X19 0
#define GORT_FRAME_X21 16
#define GORT_FRAME_X23 32
#define GORT_FRAME_X25 48
#define GORT_FRAME_X27 64
#define GORT_FRAME_X29 80   /* x29 (fp), then x30 (lr) at +88 */
#define GORT_FRAME_X30 88
#define GORT_FRAME_D8 96
#define GORT_FRAME_D10 112
#define GORT_FRAME_D12 128
#define GORT_FRAME_D14 144
#define GORT_FRAME_FPCR 160
#define GORT_FRAME_SIZE 176  /* 16-byte aligned, as sp must be */

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>

namespace gort::detail {

struct SwitchFrame {
  std::uint64_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30;
  double d8, d9, d10, d11, d12, d13, d14, d15;
  std::uint64_t fpcr, pad;
};
static_assert(offsetof(SwitchFrame, x19) == GORT_FRAME_X19);
static_assert(offsetof(SwitchFrame, x21) == GORT_FRAME_X21);
static_assert(offsetof(SwitchFrame, x23) == GORT_FRAME_X23);
static_assert(offsetof(SwitchFrame, x25) == GORT_FRAME_X25);
static_assert(offsetof(SwitchFrame, x27) == GORT_FRAME_X27);
static_assert(offsetof(SwitchFrame, x29) == GORT_FRAME_X29);
static_assert(offsetof(SwitchFrame, x30) == GORT_FRAME_X30);
static_assert(offsetof(SwitchFrame, d8) == GORT_FRAME_D8);
static_assert(offsetof(SwitchFrame, d10) == GORT_FRAME_D10);
static_assert(offsetof(SwitchFrame, d12) == GORT_FRAME_D12);
static_assert(offsetof(SwitchFrame, d14) == GORT_FRAME_D14);
static_assert(offsetof(SwitchFrame, fpcr) == GORT_FRAME_FPCR);
static_assert(sizeof(SwitchFrame) == GORT_FRAME_SIZE && GORT_FRAME_SIZE % 16 == 0);

}  // namespace gort::detail
#endif  /* __ASSEMBLER__ */
