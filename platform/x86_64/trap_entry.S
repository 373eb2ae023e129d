// Interrupt and exception entry stubs: one per vector, all funnelling into trap_common, which
// saves the general registers as a TrapFrame (trap_frame.h) and calls x86_64_trap.

#include "platform/x86_64/layout.h"

// One 16-byte stub per vector. Vectors for which the CPU pushes no error code push a zero, so
// every frame has one layout. Error-code vectors: 8, 10-14, 17, 21, 29, 30.
#define ERROR_CODE_MASK ((1 << 8) | (0x1f << 10) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))

.text
.global x86_64_vector_stubs
.p2align 4
x86_64_vector_stubs:
vector = 0
.rept 256
  .p2align 4
  .if vector >= 32 || ((ERROR_CODE_MASK >> vector) & 1) == 0
    pushq $0
  .endif
  pushq $vector
  jmp trap_common
  vector = vector + 1
.endr

// cpu_init.cc fills the IDT with x86_64_vector_stubs + 16 * vector.
.text
trap_common:
  // Coming from user mode (CS RPL 3, at 24(%rsp) after vector + error code): take the
  // kernel's GS.
  testb $3, 24(%rsp)
  jz 1f
  swapgs
1:
  push %rax
  push %rbx
  push %rcx
  push %rdx
  push %rsi
  push %rdi
  push %rbp
  push %r8
  push %r9
  push %r10
  push %r11
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, %rdi
  cld
  call x86_64_trap
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rbp
  pop %rdi
  pop %rsi
  pop %rdx
  pop %rcx
  pop %rbx
  pop %rax
  add $16, %rsp  // vector, error code
  testb $3, 8(%rsp)
  jz 2f
  swapgs
2:
  iretq
