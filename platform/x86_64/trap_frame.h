// Register frames built by the entry stubs (trap_entry.S, user_entry.S); layouts are ABI
// between assembly and C++, pinned by static_asserts.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk::x86 {

// Pushed by the common trap stub, lowest address first.
struct TrapFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector;
  uint64_t error_code;  // 0 for vectors without one
  // Pushed by the CPU.
  uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(offsetof(TrapFrame, vector) == 15 * 8);
static_assert(offsetof(TrapFrame, rip) == 17 * 8);
static_assert(sizeof(TrapFrame) == 22 * 8);

// Pushed by the syscall stub. Arguments follow the abi/syscall.h convention.
struct SyscallFrame {
  uint64_t rax;  // syscall number in, status out
  uint64_t rdi, rsi, rdx, r10, r8, r9;
  uint64_t rbp;
  uint64_t rip;     // user rcx
  uint64_t rflags;  // user r11
  uint64_t rsp;
};
static_assert(sizeof(SyscallFrame) == 11 * 8);

// Per-CPU block reached through GS in kernel mode. The entry stubs use the first two fields
// by offset.
struct PerCpu {
  uint64_t entry_stack_top;   // offset 0: kernel stack for entries from user mode
  uint64_t user_rsp_scratch;  // offset 8: user rsp while the stub switches stacks
};
static_assert(offsetof(PerCpu, entry_stack_top) == 0);
static_assert(offsetof(PerCpu, user_rsp_scratch) == 8);

}  // namespace hmk::x86
