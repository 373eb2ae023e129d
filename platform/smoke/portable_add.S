// uint64_t hmk_smoke_asm_add(uint64_t a, uint64_t b)  (SysV: rdi, rsi -> rax)
#include "platform/smoke/asm_macros.h"

    .text
    .globl hmk_smoke_asm_add
    .type hmk_smoke_asm_add, @function
hmk_smoke_asm_add:
    lea (%rdi, %rsi), %rax
    ret
    .size hmk_smoke_asm_add, . - hmk_smoke_asm_add

HMK_SMOKE_NOEXEC_STACK
