// System call dispatch in the core; the port decodes registers into SyscallArgs.
#pragma once

#include <stdint.h>

#include "core/lib/status.h"

namespace hmk {

struct SyscallArgs {
  uint64_t number;
  uint64_t arg[6];
};

// Runs one system call for the current process. Bad arguments give a status, never a panic.
Status handle_syscall(const SyscallArgs& args);

}  // namespace hmk
