// The user/kernel boundary: the syscall entry, the one way back to user mode, and the idle
// loop's stack reset.
//
// Every entry from user mode saves the user registers straight into the current thread's
// UserContext (context.h): PerCpu::context_end and TSS.rsp0 point just past its TrapFrame, so
// the pushes below (and the CPU's own interrupt frame) land in place. Then the stub moves to
// the per-CPU entry stack and calls the core, which returns the context to resume.

#include "platform/x86_64/layout.h"

#define ENTRY_SYSCALL 0x100  // arch::kEntrySyscall
#define PERCPU_ENTRY_STACK 0
#define PERCPU_USER_RSP 8
#define PERCPU_CONTEXT_END 16
#define CONTEXT_FOREIGN_SYSCALLS 208  // arch::kForeignSyscallsOffset (context.h)

.text

// syscall: rcx = user rip, r11 = user rflags, IF cleared by SFMASK, still on the user stack.
.global x86_64_syscall_entry
x86_64_syscall_entry:
  swapgs
  mov %rsp, %gs:PERCPU_USER_RSP
  mov %gs:PERCPU_CONTEXT_END, %rsp
  pushq $SEL_USER_DATA           // ss
  pushq %gs:PERCPU_USER_RSP      // rsp
  push %r11                      // rflags
  pushq $SEL_USER_CODE           // cs
  push %rcx                      // rip
  pushq $0                       // error_code
  pushq $ENTRY_SYSCALL           // vector
  sub $16, %rsp                  // rcx, r11: clobbered by syscall, not saved
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
  cmpq $0, CONTEXT_FOREIGN_SYSCALLS(%rsp)  // a foreign process's call is not a native one
  mov %gs:PERCPU_ENTRY_STACK, %rsp
  jne 4f
  xor %ebp, %ebp                 // backtraces stop at the boundary
  cmp $1, %rax                   // kCall (0) and kReplyRecv (1) try the fast path first
  ja 1f
  je 3f
  call hmk_fastpath_call         // the partner's context, or 0 for the slow path
  test %rax, %rax
  jnz 2f
  jmp 1f
3:
  call hmk_fastpath_reply_recv   // likewise
  test %rax, %rax
  jnz 2f
1:
  call x86_64_syscall            // the context to resume, or 0 to idle
  test %rax, %rax
  jz x86_64_idle_loop
2:
  mov %rax, %rdi
  jmp x86_64_restore
4:
  xor %ebp, %ebp
  call hmk_fastpath_foreign_call // a handler waiting for it: its context, else 0
  test %rax, %rax
  jnz 2b
  call x86_64_foreign_syscall    // the handler takes it (core/foreign.h)
  test %rax, %rax
  jz x86_64_idle_loop
  mov %rax, %rdi
  jmp x86_64_restore

// [[noreturn]] void x86_64_restore(UserContext* ctx): back to user mode with ctx's registers.
// Interrupts are off; ctx was activated (page tables, TSS.rsp0, context_end). Contexts that
// entered with `syscall` (and new threads) leave with sysret, the others with iret.
.global x86_64_restore
x86_64_restore:
  mov %rdi, %rsp
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
  // rsp -> rcx, r11, vector, error_code, rip, cs, rflags, rsp, ss
  cmpq $ENTRY_SYSCALL, 16(%rsp)
  jne 1f
  mov 32(%rsp), %rcx             // rip
  mov 48(%rsp), %r11             // rflags
  mov 56(%rsp), %rsp             // user rsp; nothing below touches memory
  swapgs
  sysretq
1:
  pop %rcx
  pop %r11
  add $16, %rsp                  // vector, error_code
  swapgs
  iretq

// [[noreturn]] void x86_64_idle_loop(): abandons the current kernel stack for a fresh one and
// idles until the core has a thread to run (user.cc).
.global x86_64_idle_loop
x86_64_idle_loop:
  mov %gs:PERCPU_ENTRY_STACK, %rsp
  xor %ebp, %ebp
  call x86_64_idle
  ud2
