/* Saved-register frame of gort_swap_context on AArch64 (AAPCS64, Linux).
 *
 * Shared by asm_arm64.S and gobuf.hpp (static_assert against SwitchFrame), so only
 * #defines here.  Callee-saved per AAPCS64: x19-x28, the frame pointer x29, the link
 * register x30, the low 64 bits of v8-v15 (d8-d15), and the FP control register FPCR.
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
