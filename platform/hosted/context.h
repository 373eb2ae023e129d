// A thread's saved user state in the hosted build (platform/hosted): the system-call register
// file the core reads and writes, and the few other registers a new thread is given. Included
// by the core as "arch/context.h".
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "platform/x86_64/registers.h"  // the host is x86-64: the same register file

namespace hmk::arch {

// The x86-64 port's member names (platform/x86_64/context.h) for what the hosted port keeps,
// so that platform/hosted/arch.cc also compiles against that layout (`./hmk lint` checks
// platform/*.cc with the kernel's arch/context.h).
struct TrapFrame {
  uint64_t regs[kRegCount];
  uint64_t rip;  // where the thread would start or continue
  uint64_t rsp;
};

struct UserContext {
  TrapFrame frame;
  uint64_t fs_base;  // thread-local storage bases (arch::set_user_tls)
  uint64_t gs_base;
  uint64_t foreign_syscalls;  // the hosted harness's foreign_syscall() checks it
  // The FPU as on x86-64: an fxsave image, valid once fpu_used (arch::read_fpu, write_fpu; the
  // port's fake FPU registers may hold newer values, hosted::run_fpu).
  uint64_t fpu_used;
  alignas(16) uint8_t fpu[512];
};

inline uint64_t* syscall_registers(UserContext& ctx) {
  return ctx.frame.regs;
}
inline const uint64_t* syscall_registers(const UserContext& ctx) {
  return ctx.frame.regs;
}

inline uint64_t user_pc(const UserContext& ctx) {
  return ctx.frame.rip;
}
inline uint64_t user_sp(const UserContext& ctx) {
  return ctx.frame.rsp;
}
inline void set_foreign_syscalls(UserContext& ctx, bool on) {
  ctx.foreign_syscalls = on ? 1 : 0;
}

// The registers the hosted frame keeps (rcx, r11 and rflags read as 0 and are not kept).
inline void read_user_registers(const UserContext& ctx, const TrapFrame& f,
                                abi::UserRegisters& out) {
  out = {};
  file_to_user(f.regs, out);
  out.rsp = f.rsp;
  out.rip = f.rip;
  out.fs_base = ctx.fs_base;
  out.gs_base = ctx.gs_base;
}

inline bool write_user_registers(TrapFrame& f, const abi::UserRegisters& in) {
  if (in.rip >= abi::kUserAddressEnd || in.rsp >= abi::kUserAddressEnd) return false;
  user_to_file(in, f.regs);
  f.rip = in.rip;
  f.rsp = in.rsp;
  return true;
}

}  // namespace hmk::arch
