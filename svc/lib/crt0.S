// Process and thread start-up for native programs.
.text

// The first thread: the kernel enters at _start with an empty, 16-byte aligned stack, rdi =
// the bootstrap table's address (abi::kBootInfoAddress; 0 if the process has none) and all other
// registers zero. rdi passes straight on as hmk_rt_start's argument; main's return value
// becomes the exit status.
.global _start
_start:
  xor %ebp, %ebp        // outermost frame for backtraces
  and $-16, %rsp
  call hmk_rt_start
  ud2

// Threads made by rt::create_thread: rsp is the top of the slot's stack, rdi the ThreadInfo
// (thread.cc), which hmk_rt_thread_main receives as its argument.
.global hmk_rt_thread_entry
hmk_rt_thread_entry:
  xor %ebp, %ebp
  and $-16, %rsp
  call hmk_rt_thread_main
  ud2

.section .note.GNU-stack, "", @progbits
