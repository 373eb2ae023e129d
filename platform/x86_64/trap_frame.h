// Per-CPU state reached through GS and the TSS, shared between the entry stubs and C++.
// Register frames are arch::TrapFrame / arch::UserContext (context.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "platform/x86_64/context.h"

namespace hmk::x86 {

using arch::TrapFrame;
using arch::UserContext;

// Per-CPU block reached through GS in kernel mode. The entry stubs use the fields by offset.
struct PerCpu {
  uint64_t entry_stack_top;   // offset 0: the kernel stack every entry from user mode runs on
  uint64_t user_rsp_scratch;  // offset 8: user rsp while the syscall stub switches stacks
  uint64_t context_end;       // offset 16: just past the current thread's TrapFrame
};
static_assert(offsetof(PerCpu, entry_stack_top) == 0);
static_assert(offsetof(PerCpu, user_rsp_scratch) == 8);
static_assert(offsetof(PerCpu, context_end) == 16);

struct [[gnu::packed]] Tss {
  uint32_t reserved0;
  uint64_t rsp[3];  // rsp[0]: where the CPU saves user state on an interrupt (context_end)
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104);

extern PerCpu g_percpu;
extern Tss g_tss;
// Whether CR4.SMAP is on (the CPU has it): trap_common then clears RFLAGS.AC on entries from
// user mode (clac is an invalid opcode on CPUs without SMAP).
extern "C" bool x86_64_smap_enabled;

}  // namespace hmk::x86
