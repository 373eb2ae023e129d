// The timed instruction sequences of the sel4bench-style cases (ipc_bench.cc; the method is in
// docs/benchmarks.md, "sel4bench's method").
//
// sel4bench takes from each figure the cost of the very same instructions with the system
// call instruction replaced by a two-byte nop (66 90, as long as `syscall`): the timestamp
// reads, the register setup and whatever else lies between them. So each sequence is written
// once here, as a macro taking `real`, and assembled twice: with `syscall` for the measurement
// and with the nop for the calibration. Under -icount shift=0 the two differ by exactly the
// instructions the kernel (and, in a client-timed round trip, the server) executes.
//
// Timestamps are bare rdtsc. sel4bench's cpuid before the first read and after the second lie
// outside the timed region, and TCG executes in order, so they would change no figure.
//
// Register use: rdtsc writes edx:eax, the IPC message is in rdi, rsi and the ten word
// registers (core/abi/syscall.h), and `syscall` clobbers rcx and r11; so before the system
// call r11 holds where the first timestamp goes and rcx holds what rax or rdx need afterwards,
// and after it rcx keeps the status while rdtsc overwrites rax.

#include "svc/lib/servers.h"

#define HMK_SYS_CALL 0

// struct Stamps in ipc_bench.cc.
#define STAMP_T0 0x00
#define STAMP_T1 0x08
#define STAMP_STATUS 0x10

// The instruction under test, or a nop of the same length that does not enter the kernel.
.macro enter_kernel real
  .if \real
  syscall
  .else
  .byte 0x66, 0x90
  .endif
.endm

// Start of the timed region: rdtsc, stored at \offset(%r11). Clobbers rax and rdx.
.macro stamp_before offset
  rdtsc
  shl $32, %rdx
  or %rdx, %rax
  mov %rax, \offset(%r11)
.endm

// End of the timed region, the same on every side (the client after its call, the server after
// its reply_recv): status to rcx, then rdtsc; the timestamp is left in rax.
.macro stamp_after
  mov %rax, %rcx
  rdtsc
  shl $32, %rdx
  or %rdx, %rax
.endm

.macro push_callee_saved
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
.endm

.macro pop_callee_saved
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
.endm

// void NAME(uint64_t endpoint, uint64_t tag, Stamps* out): one kCall of `words` (0 or 10)
// words, timed from before the register setup to after the reply arrived. Used for the
// one-way call (the server takes the second timestamp), the one-way reply (the first comes
// from the server) and the client-timed round trip.
.macro client_call name, words, real
.p2align 4
.global \name
.type \name, @function
\name:
  push_callee_saved
  push %rdx                     // out, at (%rsp) after the system call
  mov %rdx, %r11
  .if \words
  // Words 1-9 before the timed region, word 0 after its rdtsc: rdtsc needs rdx.
  mov $1, %ecx
  mov $2, %r10d
  mov $3, %r8d
  mov $4, %r9d
  mov $5, %ebx
  mov $6, %ebp
  mov $7, %r12d
  mov $8, %r13d
  mov $9, %r14d
  mov $10, %r15d
  .endif
  stamp_before STAMP_T0
  .if \words
  mov %rcx, %rdx
  .endif
  mov $HMK_SYS_CALL, %eax
  enter_kernel \real
  stamp_after
  mov (%rsp), %r11
  mov %rax, STAMP_T1(%r11)
  mov %rcx, STAMP_STATUS(%r11)
  add $8, %rsp
  pop_callee_saved
  ret
.size \name, . - \name
.endm

.text
client_call hmk_s4b_call_0w, 0, 1
client_call hmk_s4b_call_0w_nop, 0, 0
client_call hmk_s4b_call_10w, 10, 1
client_call hmk_s4b_call_10w_nop, 10, 0

// The server's timed part before it answers: rdtsc into ServerPage::t_reply, then reply_recv
// with the tag it received (so a 10-word call gets a 10-word reply). r11 = the page.
.macro server_before
  stamp_before HMK_SERVER_T_REPLY
  mov HMK_SERVER_ENDPOINT(%r11), %rdi
  mov $HMK_SYS_REPLY_RECV, %eax
.endm

// ---- sel4bench-style server blob (servers.h rules: position-independent, no data) ----
// Like sel4bench's ReplyRecv helper: a timestamp right before each reply_recv (t_reply) and
// right after it returns (t_recv), with nothing else in between. The reply_recv is placed
// right before s4b_received, so after every timed return the first instruction is
// stamp_after's, as on the client; only the first, untimed receive jumps there.
.p2align 4
.global hmk_s4b_server_begin
.global hmk_s4b_server_end
hmk_s4b_server_begin:
  push %rdi                     // the ServerPage, at (%rsp) from here on
  mov HMK_SERVER_ENDPOINT(%rdi), %rdi
  xor %esi, %esi
  mov $HMK_SYS_RECV, %eax
  syscall
  jmp s4b_received
s4b_serve:                      // r11 = page; the message to answer in place
  server_before
  enter_kernel 1
s4b_received:
  stamp_after
  mov (%rsp), %r11
  mov %rax, HMK_SERVER_T_RECV(%r11)
  incq HMK_SERVER_REQUESTS(%r11)
  test %rcx, %rcx
  jz s4b_serve
  mov %rcx, HMK_SERVER_LAST_STATUS(%r11)
  mov $HMK_SYS_THREAD_EXIT, %eax
  syscall
  ud2
hmk_s4b_server_end:

// void hmk_s4b_reply_nop(ServerPage* scratch, Stamps* out): the calibration of the one-way
// reply, i.e. the server's timed part (server_before) with the nop, followed by the client's
// end of the timed region (stamp_after), run here in the client. t0 is read back from
// scratch->t_reply, where server_before put it.
.p2align 4
.global hmk_s4b_reply_nop
.type hmk_s4b_reply_nop, @function
hmk_s4b_reply_nop:
  push_callee_saved
  push %rsi                     // out
  push %rdi                     // the page, at (%rsp) as in the server
  mov %rdi, %r11
  xor %esi, %esi
  server_before
  enter_kernel 0
  stamp_after
  mov 8(%rsp), %r11
  mov %rax, STAMP_T1(%r11)
  mov %rcx, STAMP_STATUS(%r11)
  mov (%rsp), %rcx
  mov HMK_SERVER_T_REPLY(%rcx), %rax
  mov %rax, STAMP_T0(%r11)
  add $16, %rsp
  pop_callee_saved
  ret
.size hmk_s4b_reply_nop, . - hmk_s4b_reply_nop

// void NAME(uint64_t number, uint64_t arg0, Stamps* out): one ordinary system call, timed
// like sel4bench's null system call (its `hardware` app). The number waits in rcx while
// rdtsc uses rax.
.macro timed_syscall name, real
.p2align 4
.global \name
.type \name, @function
\name:
  push %rdx                     // out
  mov %rdx, %r11
  mov %rdi, %rcx
  mov %rsi, %rdi
  stamp_before STAMP_T0
  mov %rcx, %rax
  enter_kernel \real
  stamp_after
  mov (%rsp), %r11
  mov %rax, STAMP_T1(%r11)
  mov %rcx, STAMP_STATUS(%r11)
  add $8, %rsp
  ret
.size \name, . - \name
.endm

timed_syscall hmk_s4b_syscall, 1
timed_syscall hmk_s4b_syscall_nop, 0

.section .note.GNU-stack, "", @progbits
