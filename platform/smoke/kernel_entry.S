// Kernel entry point: set up a stack and call kmain; halt forever after.
#include "platform/smoke/asm_macros.h"

    .section .text.entry, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    lea boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    call kmain
1:  cli
    hlt
    jmp 1b
    .size _start, . - _start

    .bss
    .balign 16
boot_stack:
    .skip 16384
boot_stack_top:

HMK_SMOKE_NOEXEC_STACK
