// A raw thread entry for THR tests: records the registers a new thread starts with.
//
//   rdi = struct Probe { uint64_t rdi, rsp, done; }*   (the thread's argument)
//
// Stores rdi and rsp as the kernel set them, sets done = 1 and ends the thread, using no stack.
.text
.global hmk_test_probe_entry
hmk_test_probe_entry:
  mov %rdi, 0(%rdi)
  mov %rsp, 8(%rdi)
  movq $1, 16(%rdi)
  mov $11, %eax         // kThreadExit
  syscall
  ud2

// A raw thread entry for THR-0014: records the FPU state a new thread starts with.
//
//   rdi = struct FpuProbe { uint64_t xmm5[2]; uint32_t mxcsr; uint32_t done; }*
//
// Its first FPU instruction loads the thread's state (#NM); nothing else runs before it.
.global hmk_test_fpu_probe_entry
hmk_test_fpu_probe_entry:
  movdqu %xmm5, 0(%rdi)
  stmxcsr 16(%rdi)
  movl $1, 20(%rdi)
  mov $11, %eax         // kThreadExit
  syscall
  ud2

// A raw thread entry for THR-0015, a thread with a syscall handler (all its system calls go to
// the handler):
//
//   rdi = struct { uint64_t value[2]; uint64_t after[2]; uint32_t done; }*
//
// Loads xmm5 from value, makes a system call (the handler writes its FPU state meanwhile),
// stores xmm5 to after, sets done and makes another call, which the handler answers by ending
// the thread.
.global hmk_test_fpu_foreign_entry
hmk_test_fpu_foreign_entry:
  mov %rdi, %rbx
  movdqu 0(%rbx), %xmm5
  xor %eax, %eax
  syscall
  movdqu %xmm5, 16(%rbx)
  movl $1, 32(%rbx)
  xor %eax, %eax
  syscall
  ud2

.section .note.GNU-stack, "", @progbits
