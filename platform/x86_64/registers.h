// The x86-64 system-call register file: which register sits at which index of a saved
// context. Shared by the x86-64 port and the hosted port (which runs on an x86-64 host and
// keeps the same layout), so the core and its host tests see one numbering.
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"

namespace hmk::arch {

// Indexes into the saved register file (TrapFrame::regs): the system-call register file in the
// order of core/abi/syscall.h (number/status, handle/badge, tag, message words 0..9).
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

// The system-call register file (TrapFrame::regs) by name, to and from abi::UserRegisters
// (thread_read_registers, thread_write_registers); the ports add what their frames keep
// besides (rip, rsp, rflags, rcx, r11).
inline void file_to_user(const uint64_t* r, abi::UserRegisters& out) {
  out.rax = r[kRax], out.rdi = r[kRdi], out.rsi = r[kRsi], out.rdx = r[kRdx];
  out.r10 = r[kR10], out.r8 = r[kR8], out.r9 = r[kR9], out.rbx = r[kRbx];
  out.rbp = r[kRbp], out.r12 = r[kR12], out.r13 = r[kR13], out.r14 = r[kR14];
  out.r15 = r[kR15];
}
inline void user_to_file(const abi::UserRegisters& in, uint64_t* r) {
  r[kRax] = in.rax, r[kRdi] = in.rdi, r[kRsi] = in.rsi, r[kRdx] = in.rdx;
  r[kR10] = in.r10, r[kR8] = in.r8, r[kR9] = in.r9, r[kRbx] = in.rbx;
  r[kRbp] = in.rbp, r[kR12] = in.r12, r[kR13] = in.r13, r[kR14] = in.r14;
  r[kR15] = in.r15;
}

}  // namespace hmk::arch
