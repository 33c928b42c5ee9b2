/* Context switch for AArch64 (AAPCS64, Linux).  Same contract as asm_amd64.S:
 *
 *   void* gort_swap_context(void** save_sp, void* next_sp, void* transfer)
 *   void* gort_make_context(void* stack_top, void (*entry)(void*, void*), void* data)
 *   gort_context_entry: calls entry(transfer, data); never returns.
 *
 * FPCR is written back only when it differs: on many cores an msr to FPCR is
 * serialising, and it almost never changes between two contexts.
 */
#include "gobuf_arm64.h"

        .text
        .globl  gort_swap_context
        .type   gort_swap_context, %function
        .p2align 4
gort_swap_context:
        .cfi_startproc
        sub     sp, sp, #GORT_FRAME_SIZE
        stp     x19, x20, [sp, #GORT_FRAME_X19]
        stp     x21, x22, [sp, #GORT_FRAME_X21]
        stp     x23, x24, [sp, #GORT_FRAME_X23]
        stp     x25, x26, [sp, #GORT_FRAME_X25]
        stp     x27, x28, [sp, #GORT_FRAME_X27]
        stp     x29, x30, [sp, #GORT_FRAME_X29]
        stp     d8, d9, [sp, #GORT_FRAME_D8]
        stp     d10, d11, [sp, #GORT_FRAME_D10]
        stp     d12, d13, [sp, #GORT_FRAME_D12]
        stp     d14, d15, [sp, #GORT_FRAME_D14]
        mrs     x9, fpcr
        str     x9, [sp, #GORT_FRAME_FPCR]
        mov     x10, sp
        str     x10, [x0]
        mov     sp, x1
        ldr     x10, [sp, #GORT_FRAME_FPCR]
        cmp     x9, x10
        b.eq    1f
        msr     fpcr, x10
1:
        ldp     x19, x20, [sp, #GORT_FRAME_X19]
        ldp     x21, x22, [sp, #GORT_FRAME_X21]
        ldp     x23, x24, [sp, #GORT_FRAME_X23]
        ldp     x25, x26, [sp, #GORT_FRAME_X25]
        ldp     x27, x28, [sp, #GORT_FRAME_X27]
        ldp     x29, x30, [sp, #GORT_FRAME_X29]
        ldp     d8, d9, [sp, #GORT_FRAME_D8]
        ldp     d10, d11, [sp, #GORT_FRAME_D10]
        ldp     d12, d13, [sp, #GORT_FRAME_D12]
        ldp     d14, d15, [sp, #GORT_FRAME_D14]
        add     sp, sp, #GORT_FRAME_SIZE
        mov     x0, x2
        ret
        .cfi_endproc
        .size   gort_swap_context, .-gort_swap_context
        // The end of gort_swap_context, for the sampling signal handler, which does not
        // unwind from inside it (signal_linux.cpp): mid-switch, its unwind rules
        // describe a stack that is no longer the current one.
        .globl  gort_swap_context_end
gort_swap_context_end:

        .globl  gort_make_context
        .type   gort_make_context, %function
        .p2align 4
gort_make_context:
        .cfi_startproc
        and     x9, x0, #~15
        sub     x0, x9, #GORT_FRAME_SIZE
        stp     x1, x2, [x0, #GORT_FRAME_X19]     /* x19 = entry, x20 = data */
        stp     xzr, xzr, [x0, #GORT_FRAME_X21]
        stp     xzr, xzr, [x0, #GORT_FRAME_X23]
        stp     xzr, xzr, [x0, #GORT_FRAME_X25]
        stp     xzr, xzr, [x0, #GORT_FRAME_X27]
        adrp    x10, gort_context_entry
        add     x10, x10, :lo12:gort_context_entry
        stp     xzr, x10, [x0, #GORT_FRAME_X29]   /* fp = 0 ends frame chains; lr = entry */
        stp     xzr, xzr, [x0, #GORT_FRAME_D8]
        stp     xzr, xzr, [x0, #GORT_FRAME_D10]
        stp     xzr, xzr, [x0, #GORT_FRAME_D12]
        stp     xzr, xzr, [x0, #GORT_FRAME_D14]
        mrs     x10, fpcr
        str     x10, [x0, #GORT_FRAME_FPCR]
        str     xzr, [x0, #GORT_FRAME_FPCR+8]
        ret
        .cfi_endproc
        .size   gort_make_context, .-gort_make_context

        .globl  gort_context_entry
        .hidden gort_context_entry      /* referenced PC-relatively: must not be preemptible in a shared libgort */
        .type   gort_context_entry, %function
        .p2align 4
gort_context_entry:
        .cfi_startproc
        .cfi_undefined x30
        mov     x29, xzr
        mov     x1, x20         /* data; x0 already holds the transfer value */
        blr     x19
        brk     #0              /* entry must not return */
        .cfi_endproc
        .size   gort_context_entry, .-gort_context_entry

        .section .note.GNU-stack,"",%progbits
