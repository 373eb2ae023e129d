// For fiber_test: whether a switch away and back keeps the callee-saved registers, and a
// fiber side that clobbers all of them before it switches back.
//
//   uint64_t hmk_test_switch_keeps_registers(void** save_sp, void* load_sp)
// loads a pattern into rbx, rbp, r12..r15, calls hmk_fiber_switch(save_sp, load_sp) and, once
// switched back to, returns the number of those registers that no longer hold the pattern.
//
//   void hmk_test_clobber_and_switch(void** save_sp, void* load_sp)
// sets rbx, rbp, r12..r15 to other values and calls hmk_fiber_switch(save_sp, load_sp).
    .text
    .globl hmk_test_switch_keeps_registers
    .type hmk_test_switch_keeps_registers, @function
hmk_test_switch_keeps_registers:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp                  // 16-byte alignment for the call
    movabsq $0x1111111111111111, %rbx
    movabsq $0x2222222222222222, %rbp
    movabsq $0x3333333333333333, %r12
    movabsq $0x4444444444444444, %r13
    movabsq $0x5555555555555555, %r14
    movabsq $0x6666666666666666, %r15
    callq hmk_fiber_switch
    xorl %eax, %eax
    movabsq $0x1111111111111111, %rcx
    cmpq %rcx, %rbx
    setne %cl
    movzbl %cl, %ecx
    addq %rcx, %rax
    movabsq $0x2222222222222222, %rcx
    cmpq %rcx, %rbp
    setne %cl
    movzbl %cl, %ecx
    addq %rcx, %rax
    movabsq $0x3333333333333333, %rcx
    cmpq %rcx, %r12
    setne %cl
    movzbl %cl, %ecx
    addq %rcx, %rax
    movabsq $0x4444444444444444, %rcx
    cmpq %rcx, %r13
    setne %cl
    movzbl %cl, %ecx
    addq %rcx, %rax
    movabsq $0x5555555555555555, %rcx
    cmpq %rcx, %r14
    setne %cl
    movzbl %cl, %ecx
    addq %rcx, %rax
    movabsq $0x6666666666666666, %rcx
    cmpq %rcx, %r15
    setne %cl
    movzbl %cl, %ecx
    addq %rcx, %rax
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size hmk_test_switch_keeps_registers, . - hmk_test_switch_keeps_registers

    .globl hmk_test_clobber_and_switch
    .type hmk_test_clobber_and_switch, @function
hmk_test_clobber_and_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    movq $-1, %rbx
    movq $-2, %rbp
    movq $-3, %r12
    movq $-4, %r13
    movq $-5, %r14
    movq $-6, %r15
    callq hmk_fiber_switch
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size hmk_test_clobber_and_switch, . - hmk_test_clobber_and_switch

    .section .note.GNU-stack, "", @progbits
