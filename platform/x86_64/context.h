// A thread's saved user-mode state on x86-64, included by the core as "arch/context.h".
//
// The entry stubs (user_entry.S, trap_entry.S) save registers straight into the running
// thread's context: TSS.rsp0 and PerCpu::context_end point just past `frame.ss`, so the CPU's
// interrupt frame and the stubs' pushes land in place and no copy is needed.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "platform/x86_64/registers.h"

namespace hmk::arch {

// Everything an entry from user mode (or an interrupt in kernel mode) saves, lowest address
// first: the stubs push r11 first and rax last.
struct TrapFrame {
  uint64_t regs[kRegCount];
  uint64_t rcx, r11;
  uint64_t vector;  // kEntrySyscall for system calls and new threads
  uint64_t error_code;
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU (or built by the syscall stub)
};
static_assert(offsetof(TrapFrame, vector) == 15 * 8);
static_assert(offsetof(TrapFrame, rip) == 17 * 8);
static_assert(sizeof(TrapFrame) == 22 * 8);

// Marks a frame to be resumed with sysret (entered by `syscall`, or a thread never run).
inline constexpr uint64_t kEntrySyscall = 0x100;

struct alignas(16) UserContext {
  TrapFrame frame;
  // Thread-local storage (arch::set_user_tls): the FS base, and the GS base user mode sees
  // (IA32_KERNEL_GS_BASE holds it while the kernel runs, swapgs puts it back).
  uint64_t fs_base;
  uint64_t gs_base;
  // What the per-CPU TLS cache compares (user.cc): this context's address if a base is
  // non-zero, 0 if both are zero, so that contexts without TLS never reload the registers
  // between them.
  uint64_t tls_id;
  uint64_t fpu_used;  // whether fpu holds state (else the thread starts from the reset state)
  // Non-zero: the thread belongs to a process with a foreign personality, and the syscall stub
  // (user_entry.S) hands its system calls to x86_64_foreign_syscall, before the fast path.
  uint64_t foreign_syscalls;
  alignas(16) uint8_t fpu[512];  // fxsave image, saved lazily (trap.cc, #NM)
};

// Where user_entry.S finds foreign_syscalls from the saved frame it has just pushed.
inline constexpr size_t kForeignSyscallsOffset = 208;

// The system-call register file of a saved context, indexed by Reg.
inline uint64_t* syscall_registers(UserContext& ctx) {
  return ctx.frame.regs;
}
inline const uint64_t* syscall_registers(const UserContext& ctx) {
  return ctx.frame.regs;
}

static_assert(offsetof(UserContext, foreign_syscalls) == kForeignSyscallsOffset);

// Where the user program is and its stack (the pc after a syscall instruction: the return
// address the CPU saved).
inline uint64_t user_pc(const UserContext& ctx) {
  return ctx.frame.rip;
}
inline uint64_t user_sp(const UserContext& ctx) {
  return ctx.frame.rsp;
}
inline void set_foreign_syscalls(UserContext& ctx, bool on) {
  ctx.foreign_syscalls = on ? 1 : 0;
}

// The flags user mode may change (CF, PF, AF, ZF, SF, TF, DF, OF, AC, ID); IF is always set,
// IOPL 0, bit 1 reserved as 1.
inline constexpr uint64_t kUserRflags =
    0x0001 | 0x0004 | 0x0010 | 0x0040 | 0x0080 | 0x0100 | 0x0400 | 0x0800 | 0x40000 | 0x200000;
inline constexpr uint64_t kFixedRflags = 0x0200 | 0x0002;
// A frame written by write_user_registers: resumed with iret (all registers, rcx and r11 too).
inline constexpr uint64_t kEntryRegistersWritten = 0x101;

// The registers of a saved frame (`ctx` gives the TLS bases).
inline void read_user_registers(const UserContext& ctx, const TrapFrame& f,
                                abi::UserRegisters& out) {
  file_to_user(f.regs, out);
  out.rcx = f.rcx;
  out.r11 = f.r11;
  out.rsp = f.rsp;
  out.rip = f.rip;
  out.rflags = f.rflags;
  out.fs_base = ctx.fs_base;
  out.gs_base = ctx.gs_base;
}

// Sets a saved frame's registers (not the TLS bases); false, changing nothing, if rip or rsp
// is not a user address.
inline bool write_user_registers(TrapFrame& f, const abi::UserRegisters& in) {
  if (in.rip >= abi::kUserAddressEnd || in.rsp >= abi::kUserAddressEnd) return false;
  user_to_file(in, f.regs);
  f.rcx = in.rcx;
  f.r11 = in.r11;
  f.rip = in.rip;
  f.rsp = in.rsp;
  f.rflags = (in.rflags & kUserRflags) | kFixedRflags;
  f.vector = kEntryRegistersWritten;
  return true;
}

}  // namespace hmk::arch
