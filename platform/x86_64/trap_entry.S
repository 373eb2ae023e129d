// Interrupt and exception entry stubs: one per vector, all funnelling into trap_common, which
// completes an arch::TrapFrame (context.h). From user mode the frame is the current thread's
// saved context (TSS.rsp0 points past it) and the core picks the context to resume; from
// kernel mode (the idle loop, or a kernel bug) the frame is on the kernel stack and the stub
// returns to the interrupted code.

#include "platform/x86_64/layout.h"

// One 16-byte stub per vector. Vectors for which the CPU pushes no error code push a zero, so
// every frame has one layout. Error-code vectors: 8, 10-14, 17, 21, 29, 30.
#define ERROR_CODE_MASK ((1 << 8) | (0x1f << 10) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))
#define FRAME_CS 144  // offsetof(TrapFrame, cs)

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
  push %r11
  push %rcx
  push %r15
  push %r14
  push %r13
  push %r12
  push %rbp
  push %rbx
  push %r9
  push %r8
  push %r10
  push %rdx
  push %rsi
  push %rdi
  push %rax
  cld
  testb $3, FRAME_CS(%rsp)
  jz from_kernel
  // From user mode: take the kernel's GS, move to the entry stack, let the core decide.
  swapgs
  // SMAP: user mode may have set RFLAGS.AC, which would let the kernel touch user pages. The
  // syscall entry clears it through SFMASK; interrupts and exceptions keep it.
  cmpb $0, x86_64_smap_enabled(%rip)
  je 1f
  clac
1:
  mov %rsp, %rdi
  mov %gs:0, %rsp
  xor %ebp, %ebp
  call x86_64_user_trap          // the context to resume, or 0 to idle
  test %rax, %rax
  jz x86_64_idle_loop
  mov %rax, %rdi
  jmp x86_64_restore

from_kernel:
  mov %rsp, %rdi
  call x86_64_kernel_trap
  pop %rax
  pop %rdi
  pop %rsi
  pop %rdx
  pop %r10
  pop %r8
  pop %r9
  pop %rbx
  pop %rbp
  pop %r12
  pop %r13
  pop %r14
  pop %r15
  pop %rcx
  pop %r11
  add $16, %rsp  // vector, error code
  iretq
