// hmk::fiber's stack switch (fiber.h), x86-64 System V: the kernel's and the host tests' code.
//
//   void hmk_fiber_switch(void** save_sp, void* load_sp)
// pushes the callee-saved registers, stores rsp in *save_sp, loads load_sp and pops the other
// side's registers, then returns to where that side called hmk_fiber_switch (or, for a fresh
// fiber, to hmk_fiber_start with the function to call in r12 and its argument in r13).
    .text
    .globl hmk_fiber_switch
    .type hmk_fiber_switch, @function
hmk_fiber_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size hmk_fiber_switch, . - hmk_fiber_switch

// A fresh fiber's first return lands here with rsp 16-byte aligned: call r12(r13), which
// never returns; if it did, stop at once rather than run off the stack.
    .globl hmk_fiber_start
    .type hmk_fiber_start, @function
hmk_fiber_start:
    .cfi_startproc
    .cfi_undefined rip
    movq %r13, %rdi
    callq *%r12
    ud2
    .cfi_endproc
    .size hmk_fiber_start, . - hmk_fiber_start

    .section .note.GNU-stack, "", @progbits
