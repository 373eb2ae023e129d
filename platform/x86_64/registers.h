// The x86-64 system-call register file: which register sits at which index of a saved
// context. Shared by the x86-64 port and the hosted port (which runs on an x86-64 host and
// keeps the same layout), so the core and its host tests see one numbering.
#pragma once

#include <stdint.h>

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

}  // namespace hmk::arch
