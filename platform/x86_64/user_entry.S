// The user/kernel boundary: syscall entry, first entry into user mode, and the way back to the
// kernel code that started a user program.

#include "platform/x86_64/layout.h"

.text

// syscall: rcx = user rip, r11 = user rflags, IF cleared by SFMASK, still on the user stack.
.global x86_64_syscall_entry
x86_64_syscall_entry:
  swapgs
  mov %rsp, %gs:8        // PerCpu::user_rsp_scratch
  mov %gs:0, %rsp        // PerCpu::entry_stack_top
  pushq %gs:8            // SyscallFrame::rsp
  push %r11              // rflags
  push %rcx              // rip
  push %rbp
  push %r9
  push %r8
  push %r10
  push %rdx
  push %rsi
  push %rdi
  push %rax
  mov %rsp, %rdi
  xor %ebp, %ebp         // backtraces stop at the boundary
  cld
  call x86_64_syscall    // returns the status in rax
  add $8, %rsp           // drop the saved rax
  pop %rdi
  pop %rsi
  pop %rdx
  pop %r10
  pop %r8
  pop %r9
  pop %rbp
  pop %rcx
  pop %r11
  pop %rsp               // user stack; nothing below touches memory
  swapgs
  sysretq

// void x86_64_enter_user(uint64_t entry, uint64_t user_stack, uint64_t* resume_rsp)
// Saves the callee-saved registers on the current (kernel) stack, records the stack pointer
// in *resume_rsp for x86_64_resume_kernel, and irets to user mode with all registers cleared.
.global x86_64_enter_user
x86_64_enter_user:
  // No interrupts from here to iretq: after swapgs, a kernel-mode interrupt would run with the
  // user's GS. iretq turns them back on with the user's RFLAGS.
  cli
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, (%rdx)
  pushq $SEL_USER_DATA
  push %rsi
  pushq $0x202           // IF set
  pushq $SEL_USER_CODE
  push %rdi
  xor %eax, %eax
  xor %ebx, %ebx
  xor %ecx, %ecx
  xor %edx, %edx
  xor %esi, %esi
  xor %edi, %edi
  xor %ebp, %ebp
  xor %r8d, %r8d
  xor %r9d, %r9d
  xor %r10d, %r10d
  xor %r11d, %r11d
  xor %r12d, %r12d
  xor %r13d, %r13d
  xor %r14d, %r14d
  xor %r15d, %r15d
  swapgs                 // user GS in, kernel GS parked in KERNEL_GS_BASE
  iretq

// [[noreturn]] void x86_64_resume_kernel(uint64_t resume_rsp)
// Returns from the x86_64_enter_user call that saved resume_rsp. Called in kernel mode (GS is
// already the kernel's) from a syscall or trap handler, whose stack is abandoned.
.global x86_64_resume_kernel
x86_64_resume_kernel:
  mov %rdi, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret
