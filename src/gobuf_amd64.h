/* Saved-register frame of gort_swap_context on x86-64 System V.
 *
 * Shared by asm_amd64.S and gobuf.hpp (which checks every offset against the C++
 * struct SwitchFrame with static_assert), so this file holds only #defines.
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
