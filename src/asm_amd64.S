/* Context switch for x86-64 System V (Linux).  See gobuf.hpp for the contract.
 *
 *   void* gort_swap_context(void** save_sp, void* next_sp, void* transfer)
 *     Pushes the callee-saved registers and FP control words of the running context,
 *     stores its stack pointer into *save_sp, loads next_sp and pops the frame found
 *     there.  Returns `transfer` in the resumed context.  No signal-mask syscall.
 *
 *   void* gort_make_context(void* stack_top, void (*entry)(void*, void*), void* data)
 *     Writes an initial frame below stack_top (16-byte aligned) whose return address
 *     is gort_context_entry, and returns its sp.  The FP control words are copied from
 *     the caller, as a new thread inherits them.
 *
 *   gort_context_entry: first code of every new context; calls entry(transfer, data)
 *     with an aligned stack; entry never returns.  Marked as the outermost frame so
 *     unwinders and debuggers stop here.
 */
#include "gobuf_amd64.h"

        .text
        .globl  gort_swap_context
        .type   gort_swap_context, @function
        .p2align 4
gort_swap_context:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr GORT_FRAME_MXCSR(%rsp)
        fnstcw  GORT_FRAME_FPCW(%rsp)
        movl    GORT_FRAME_MXCSR(%rsp), %eax
        movzwl  GORT_FRAME_FPCW(%rsp), %ecx
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        /* ldmxcsr and fldcw are slow (microcoded, partly serialising) and the control
           words almost never differ between two contexts: load only on change. */
        cmpl    GORT_FRAME_MXCSR(%rsp), %eax
        je      1f
        ldmxcsr GORT_FRAME_MXCSR(%rsp)
1:
        cmpw    GORT_FRAME_FPCW(%rsp), %cx
        je      2f
        fldcw   GORT_FRAME_FPCW(%rsp)
2:
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        movq    %rdx, %rax
        ret
        .cfi_endproc
        .size   gort_swap_context, .-gort_swap_context
        // The end of gort_swap_context, for the sampling signal handler, which does not
        // unwind from inside it (signal_linux.cpp): mid-switch, its unwind rules
        // describe a stack that is no longer the current one.
        .globl  gort_swap_context_end
gort_swap_context_end:

        .globl  gort_make_context
        .type   gort_make_context, @function
        .p2align 4
gort_make_context:
        .cfi_startproc
        movq    %rdi, %rax
        andq    $-16, %rax
        subq    $GORT_FRAME_SIZE, %rax
        stmxcsr GORT_FRAME_MXCSR(%rax)
        fnstcw  GORT_FRAME_FPCW(%rax)
        movw    $0, GORT_FRAME_FPCW+2(%rax)
        movq    $0, GORT_FRAME_R15(%rax)
        movq    $0, GORT_FRAME_R14(%rax)
        movq    %rdx, GORT_FRAME_R13(%rax)   /* data */
        movq    %rsi, GORT_FRAME_R12(%rax)   /* entry */
        movq    $0, GORT_FRAME_RBX(%rax)
        movq    $0, GORT_FRAME_RBP(%rax)     /* frame-pointer chains end here */
        leaq    gort_context_entry(%rip), %rcx
        movq    %rcx, GORT_FRAME_RIP(%rax)
        ret
        .cfi_endproc
        .size   gort_make_context, .-gort_make_context

        .globl  gort_context_entry
        .hidden gort_context_entry      /* referenced PC-relatively: must not be preemptible in a shared libgort */
        .type   gort_context_entry, @function
        .p2align 4
gort_context_entry:
        .cfi_startproc
        .cfi_undefined rip
        movq    %rax, %rdi      /* transfer value of the switch that started us */
        movq    %r13, %rsi      /* data */
        callq   *%r12
        ud2                     /* entry must not return */
        .cfi_endproc
        .size   gort_context_entry, .-gort_context_entry

        .section .note.GNU-stack,"",@progbits
