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

struct UserContext {
  uint64_t regs[kRegCount];
  uint64_t ip;  // where the thread would start or continue
  uint64_t sp;
};

inline uint64_t* syscall_registers(UserContext& ctx) {
  return ctx.regs;
}
inline const uint64_t* syscall_registers(const UserContext& ctx) {
  return ctx.regs;
}

}  // namespace hmk::arch
