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

.section .note.GNU-stack, "", @progbits
