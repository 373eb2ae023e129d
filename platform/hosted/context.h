// A thread's saved user state in the hosted build (platform/hosted): the system-call register
// file the core reads and writes, and the few other registers a new thread is given. Included
// by the core as "arch/context.h".
#pragma once

#include <stdint.h>

namespace hmk::arch {

// Indexes into the register file: the order of core/abi/syscall.h (number/status,
// handle/badge, tag, message words 0..9), named after the x86-64 registers that carry them.
enum Reg : uint32_t {
  kRax,
  kRdi,
  kRsi,
  kRdx,
  kR10,
  kR8,
  kR9,
  kRbx,
  kRbp,
  kR12,
  kR13,
  kR14,
  kR15,
  kRegCount
};

// The same register file by meaning, for the arch-independent core: the system call number
// (the Status on the way out); ordinary arguments and results from kSysArg0 on; for IPC the
// handle (the badge on the way out), the tag, and message words 0..9 from kSysWord0 on.
enum SysReg : uint32_t {
  kSysNumber = kRax,
  kSysArg0 = kRdi,
  kSysHandle = kRdi,
  kSysTag = kRsi,
  kSysWord0 = kRdx,
};
static_assert(kSysWord0 + 9 == kR15 && kSysTag == kSysHandle + 1 && kSysWord0 == kSysTag + 1);

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
};

inline uint64_t* syscall_registers(UserContext& ctx) {
  return ctx.frame.regs;
}
inline const uint64_t* syscall_registers(const UserContext& ctx) {
  return ctx.frame.regs;
}

}  // namespace hmk::arch
