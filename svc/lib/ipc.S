// The user side of the IPC register convention (core/abi/syscall.h): one stub for all five
// IPC system calls. It is on every benchmarked path, so it does only the moves.
//
//   Status hmk_ipc(uint64_t number /* rdi */, IpcRegisters* regs /* rsi */)
//
// IpcRegisters is { handle_or_badge, tag, words[10] }, loaded into rdi, rsi, rdx, r10, r8,
// r9, rbx, rbp, r12, r13, r14, r15 in that order and stored back from the same registers
// after the syscall, whatever its status. rbx, rbp and r12-r15 belong to the caller (SysV
// ABI), so they are saved on the stack around the call; rcx and r11 are the CPU's.

#define REG_HANDLE 0x00
#define REG_TAG 0x08
#define REG_WORD(i) (0x10 + 8 * (i))

.text
.global hmk_ipc
.type hmk_ipc, @function
hmk_ipc:
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  push %rsi                     // regs, found again at (%rsp) after the syscall
  mov %rdi, %rax
  mov REG_HANDLE(%rsi), %rdi
  mov REG_WORD(0)(%rsi), %rdx
  mov REG_WORD(1)(%rsi), %r10
  mov REG_WORD(2)(%rsi), %r8
  mov REG_WORD(3)(%rsi), %r9
  mov REG_WORD(4)(%rsi), %rbx
  mov REG_WORD(5)(%rsi), %rbp
  mov REG_WORD(6)(%rsi), %r12
  mov REG_WORD(7)(%rsi), %r13
  mov REG_WORD(8)(%rsi), %r14
  mov REG_WORD(9)(%rsi), %r15
  mov REG_TAG(%rsi), %rsi       // last: rsi was the pointer
  syscall
  mov (%rsp), %rcx              // rcx and r11 are free after a syscall
  mov %rdi, REG_HANDLE(%rcx)
  mov %rsi, REG_TAG(%rcx)
  mov %rdx, REG_WORD(0)(%rcx)
  mov %r10, REG_WORD(1)(%rcx)
  mov %r8, REG_WORD(2)(%rcx)
  mov %r9, REG_WORD(3)(%rcx)
  mov %rbx, REG_WORD(4)(%rcx)
  mov %rbp, REG_WORD(5)(%rcx)
  mov %r12, REG_WORD(6)(%rcx)
  mov %r13, REG_WORD(7)(%rcx)
  mov %r14, REG_WORD(8)(%rcx)
  mov %r15, REG_WORD(9)(%rcx)
  add $8, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret
.size hmk_ipc, . - hmk_ipc

.section .note.GNU-stack, "", @progbits
