// Process start-up for native programs: the kernel enters at _start with an empty, 16-byte
// aligned stack and all registers zero; main's return value becomes the exit status.
.text
.global _start
_start:
  xor %ebp, %ebp        // outermost frame for backtraces
  and $-16, %rsp
  call hmk_rt_start
  ud2
