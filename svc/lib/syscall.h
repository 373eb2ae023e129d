// Native HMK system call wrappers for user programs (x86-64 `syscall`, see core/abi/syscall.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"

namespace hmk::rt {

inline uint64_t raw_syscall2(abi::Syscall number, uint64_t a0, uint64_t a1) {
  uint64_t ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(static_cast<uint64_t>(number)), "D"(a0), "S"(a1)
               : "rcx", "r11", "memory");
  return ret;
}

inline Status debug_print(const char* text, size_t len) {
  return static_cast<Status>(
      raw_syscall2(abi::Syscall::kDebugPrint, reinterpret_cast<uint64_t>(text), len));
}

[[noreturn]] inline void process_exit(int64_t code) {
  raw_syscall2(abi::Syscall::kProcessExit, static_cast<uint64_t>(code), 0);
  __builtin_unreachable();
}

}  // namespace hmk::rt
