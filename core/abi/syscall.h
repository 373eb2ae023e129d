// System call numbers and register convention shared by the kernel and user runtime.
#pragma once

#include <stdint.h>

namespace hmk::abi {

// Calling convention (x86-64): `syscall` with the number in rax, arguments in rdi, rsi, rdx,
// r10, r8, r9; the Status (core/lib/status.h) comes back in rax. rcx and r11 are clobbered
// (the CPU puts the return address and RFLAGS there); every other register is preserved.
enum class Syscall : uint64_t {
  // debug_print(const char* text, size_t len): write to the kernel console.
  kDebugPrint = 0,
  // process_exit(int64_t code): end the calling process; does not return.
  kProcessExit = 1,
};

// Longest text one kDebugPrint may carry; longer requests fail with kInvalidArgument.
inline constexpr uint64_t kDebugPrintMax = 4096;

}  // namespace hmk::abi
