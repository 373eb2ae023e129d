// IPC server loops that can be copied anywhere and run in any address space (servers.h).
//
// Rules for every blob: position-independent (relative jumps only, no data references), the
// ServerPage address arrives in rdi and lives at (%rsp) after the first push, and no register
// is assumed to survive a syscall except those the ABI preserves. rax, rcx and r11 are the
// only scratch registers while a message is in the other twelve.

#include "svc/lib/servers.h"

// Tag bits kept when a message is answered: the label (32-63) and the word count (0-7);
// capabilities and flags are dropped, since the reply carries none.
#define TAG_KEEP 0xffffffff000000ff
#define TAG(op, words) (((op) << 32) | (words))

.text

// ---- echo server: the operations of servers.h, dispatched on the label ----
.p2align 4
.global hmk_echo_server_begin
.global hmk_echo_server_end
hmk_echo_server_begin:
  push %rdi
  mov %rdi, %r11
echo_recv:                        // r11 = page
  mov HMK_SERVER_ENDPOINT(%r11), %rdi
  xor %esi, %esi
  mov $HMK_SYS_RECV, %eax
  syscall
  test %rax, %rax
  jz echo_received
  mov (%rsp), %r11
  mov %rax, HMK_SERVER_LAST_STATUS(%r11)
  jmp echo_quit                   // a plain receive failed: give up rather than spin
echo_received:
  mov (%rsp), %r11
  incq HMK_SERVER_REQUESTS(%r11)
  mov %rdi, HMK_SERVER_LAST_BADGE(%r11)
  mov %rsi, HMK_SERVER_LAST_TAG(%r11)
  mov %rsi, %rcx
  shr $32, %rcx                   // the label
  cmp $HMK_OP_READ, %rcx
  je echo_op_read
  cmp $HMK_OP_WRITE, %rcx
  je echo_op_write
  cmp $HMK_OP_EXIT, %rcx
  je echo_op_exit
  cmp $HMK_OP_EAT_MEMORY, %rcx
  je echo_op_eat
  cmp $HMK_OP_REPLY_AND_QUIT, %rcx
  je echo_op_reply_and_quit
  cmp $HMK_OP_COMPLEMENT, %rcx
  je echo_op_complement
  cmp $HMK_OP_SIGNAL, %rcx
  je echo_op_signal
  cmp $HMK_OP_THREAD_EXIT, %rcx
  je echo_quit
echo_op_echo:
  movabs $TAG_KEEP, %rcx
  and %rcx, %rsi
echo_reply:                       // rsi = reply tag, words in place, r11 = page
  mov HMK_SERVER_ENDPOINT(%r11), %rdi
  mov $HMK_SYS_REPLY_RECV, %eax
  syscall
  test %rax, %rax
  jz echo_received
  mov (%rsp), %r11
  mov %rax, HMK_SERVER_LAST_STATUS(%r11)
  cmp $HMK_STATUS_PEER_CLOSED, %rax
  je echo_quit
  cmp $HMK_STATUS_INVALID_CAPABILITY, %rax
  je echo_quit
  jmp echo_recv                   // e.g. the reply could not be delivered: serve the next
echo_quit:                        // r11 = page
  movq $1, HMK_SERVER_QUIT(%r11)
echo_exit_thread:
  mov $HMK_SYS_THREAD_EXIT, %eax
  syscall
  ud2

echo_op_read:                     // word0 = *word0
  mov (%rdx), %rdx
  movabs $TAG(HMK_OP_READ, 1), %rsi
  jmp echo_reply

echo_op_write:                    // *word0 = word1
  mov %r10, (%rdx)
  movabs $TAG(HMK_OP_WRITE, 0), %rsi
  jmp echo_reply

echo_op_exit:                     // process_exit(word0)
  mov %rdx, %rdi
  mov $HMK_SYS_PROCESS_EXIT, %eax
  syscall
  ud2

echo_op_eat:                      // count memory_create(1) successes until the first failure
  xor %r12d, %r12d
1:
  mov $HMK_SYS_MEMORY_CREATE, %eax
  mov $1, %edi
  xor %esi, %esi                  // flags: eager
  syscall
  test %rax, %rax
  jnz 2f
  inc %r12
  jmp 1b
2:
  mov %r12, %rdx                  // word0: objects made
  mov %rax, %r10                  // word1: the status that stopped it
  movabs $TAG(HMK_OP_EAT_MEMORY, 2), %rsi
  mov (%rsp), %r11
  jmp echo_reply

echo_op_reply_and_quit:
  movq $1, HMK_SERVER_QUIT(%r11)  // before the reply: afterwards the owner may free the page
  movabs $TAG(HMK_OP_REPLY_AND_QUIT, 0), %rsi
  xor %edi, %edi
  mov $HMK_SYS_REPLY, %eax
  syscall
  jmp echo_exit_thread

echo_op_complement:               // every word of the message inverted, in place
  not %rdx
  not %r10
  not %r8
  not %r9
  not %rbx
  not %rbp
  not %r12
  not %r13
  not %r14
  not %r15
  mov HMK_SERVER_IPC_BUFFER(%r11), %rcx
  test %rcx, %rcx
  jz echo_op_echo
  movzbl %sil, %eax               // word count; words 10.. are in the buffer at their index
1:
  cmp $10, %eax
  jbe echo_op_echo
  dec %eax
  notq (%rcx, %rax, 8)
  jmp 1b

echo_op_signal:                   // word0 = signal(word0)
  mov %rdx, %rdi
  mov $HMK_SYS_SIGNAL, %eax
  syscall
  mov %rax, %rdx
  movabs $TAG(HMK_OP_SIGNAL, 1), %rsi
  mov (%rsp), %r11
  jmp echo_reply
hmk_echo_server_end:

// ---- timestamp server: echo, with rdtsc after each receive and before each reply ----
// rdtsc writes edx:eax, so word 0 waits in rcx meanwhile.
.p2align 4
.global hmk_timestamp_server_begin
.global hmk_timestamp_server_end
hmk_timestamp_server_begin:
  push %rdi
  mov HMK_SERVER_ENDPOINT(%rdi), %rdi
  xor %esi, %esi
  mov $HMK_SYS_RECV, %eax
  syscall
ts_received:
  test %rax, %rax
  jnz ts_failed
  mov %rdx, %rcx
  rdtsc
  shl $32, %rdx
  or %rdx, %rax
  mov (%rsp), %r11
  mov %rax, HMK_SERVER_T_RECV(%r11)
  incq HMK_SERVER_REQUESTS(%r11)
  movabs $TAG_KEEP, %rax
  and %rax, %rsi
  mov HMK_SERVER_ENDPOINT(%r11), %rdi
  rdtsc
  shl $32, %rdx
  or %rdx, %rax
  mov %rax, HMK_SERVER_T_REPLY(%r11)
  mov %rcx, %rdx
  mov $HMK_SYS_REPLY_RECV, %eax
  syscall
  jmp ts_received
ts_failed:
  mov (%rsp), %r11
  mov %rax, HMK_SERVER_LAST_STATUS(%r11)
  mov $HMK_SYS_THREAD_EXIT, %eax
  syscall
  ud2
hmk_timestamp_server_end:

// ---- null server: reply_recv with whatever arrived, nothing else ----
// The endpoint handle itself (not the page) is kept at (%rsp).
.p2align 4
.global hmk_null_server_begin
.global hmk_null_server_end
hmk_null_server_begin:
  mov HMK_SERVER_ENDPOINT(%rdi), %rax
  push %rax
  mov %rax, %rdi
  xor %esi, %esi
  mov $HMK_SYS_RECV, %eax
  syscall
null_received:
  test %rax, %rax
  jnz null_failed
  mov (%rsp), %rdi
  mov $HMK_SYS_REPLY_RECV, %eax
  syscall
  jmp null_received
null_failed:
  mov $HMK_SYS_THREAD_EXIT, %eax
  syscall
  ud2
hmk_null_server_end:

// ---- chain agent: derive a chain in the own table, copy its end into another space ----
// r12 = page, r13 = the chain's current end, r14 = derivations left (preserved by syscall).
.p2align 4
.global hmk_chain_agent_begin
.global hmk_chain_agent_end
hmk_chain_agent_begin:
  mov %rdi, %r12
  mov HMK_CHAIN_START(%r12), %r13
  mov HMK_CHAIN_COUNT(%r12), %r14
chain_derive:
  test %r14, %r14
  jz chain_copy
  mov %r13, %rdi
  mov HMK_CHAIN_RIGHTS(%r12), %rsi
  xor %edx, %edx                  // no badge
  mov $HMK_SYS_CAP_DERIVE, %eax
  syscall
  test %rax, %rax
  jnz chain_report
  mov %rdi, %r13                  // the new capability: the next one derives from it
  dec %r14
  jmp chain_derive
chain_copy:
  mov HMK_CHAIN_TARGET(%r12), %rdi
  test %rdi, %rdi
  jz chain_finished
  mov %r13, %rsi
  mov HMK_CHAIN_RIGHTS(%r12), %rdx
  mov $HMK_SYS_CAP_COPY_TO, %eax
  syscall
  test %rax, %rax
  jnz chain_report
  mov %rdi, %r13                  // its handle in the target space
chain_finished:
  mov %r13, HMK_CHAIN_LAST(%r12)
  xor %eax, %eax
chain_report:
  mov %rax, HMK_CHAIN_STATUS(%r12)
  mov HMK_CHAIN_PARK(%r12), %r13  // the page is the next job's once done is set
  movq $1, HMK_CHAIN_DONE(%r12)
chain_park:                       // for good; a failed wait (no such capability) ends it
  mov %r13, %rdi
  mov $HMK_SYS_WAIT, %eax
  syscall
  test %rax, %rax
  jz chain_park
  mov $HMK_SYS_THREAD_EXIT, %eax
  syscall
  ud2
hmk_chain_agent_end:

.section .note.GNU-stack, "", @progbits
