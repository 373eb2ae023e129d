// System calls from user programs: the raw instruction, the IPC stub, and (generated from
// core/abi/syscalls.tbl, included at the end) one typed wrapper per call.
//
// Ordinary calls are inline `syscall` instructions: arguments in rdi, rsi, rdx, r10, r8, r9,
// the Status in rax, values in rdi and rsi. The five IPC calls go through the out-of-line stub
// hmk_ipc (ipc.S), which moves a whole IpcRegisters in and out of the twelve message registers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"

// Code linked into the kernel domain (IC0) builds against the same wrappers with
// HMK_KERNEL_DOMAIN defined (//svc/kernel:rt): its calls go to the kernel's proxy for the
// domain (core/kernel_service.h, kernel_domain_syscall) instead of through the instruction, with
// kernel addresses for its buffers; the calls that would wait are refused there (kUnsupported),
// and the IPC calls, which go through hmk_ipc (ipc.S, not linked into the kernel), do not link.
//
// The IPC stub (svc/lib/ipc.S): loads `regs` into rdi, rsi and the ten word registers, runs
// system call `number`, stores all twelve registers back into `regs` (also on failure) and
// returns rax. Callee-saved registers survive as the C ABI requires.
extern "C" hmk::Status hmk_ipc(uint64_t number, hmk::abi::IpcRegisters* regs);

namespace hmk::rt {

// ipc.S hard-codes this layout.
static_assert(offsetof(abi::IpcRegisters, handle_or_badge) == 0x00);
static_assert(offsetof(abi::IpcRegisters, tag) == 0x08);
static_assert(offsetof(abi::IpcRegisters, words) == 0x10);
static_assert(sizeof(abi::IpcRegisters) == 0x60);

// ---- raw access ----

// What every ordinary system call gives back: rax, rdi and rsi after the instruction.
struct SyscallResult {
  Status status;
  uint64_t value0;  // rdi
  uint64_t value1;  // rsi
};

#if defined(HMK_KERNEL_DOMAIN)
// The kernel domain's calls (svc/kernel/rt.cc): kernel_domain_syscall with `args[0..5]`.
extern "C" SyscallResult hmk_kernel_domain_syscall(uint64_t number, const uint64_t* args);

inline SyscallResult raw_syscall(uint64_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                                 uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
  const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
  return hmk_kernel_domain_syscall(number, args);
}
#else
// Any system call by number with six arguments; also for numbers the ABI does not define.
// Every register the ABI says is preserved is still declared as possibly changed, so that a
// kernel bug there shows up as a wrong result in a test rather than as corrupted compiler state.
inline SyscallResult raw_syscall(uint64_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                                 uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
  register uint64_t r10 asm("r10") = a3;
  register uint64_t r8 asm("r8") = a4;
  register uint64_t r9 asm("r9") = a5;
  uint64_t rax = number;
  uint64_t rdi = a0;
  uint64_t rsi = a1;
  uint64_t rdx = a2;
  asm volatile("syscall"
               : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
               :
               : "rcx", "r11", "memory");
  return {static_cast<Status>(static_cast<int32_t>(rax)), rdi, rsi};
}
#endif

inline SyscallResult raw_syscall(abi::Syscall number, uint64_t a0 = 0, uint64_t a1 = 0,
                                 uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                                 uint64_t a5 = 0) {
  return raw_syscall(static_cast<uint64_t>(number), a0, a1, a2, a3, a4, a5);
}

#if !defined(HMK_KERNEL_DOMAIN)
// Kept for the early test programs: rax as returned, two arguments.
inline uint64_t raw_syscall2(abi::Syscall number, uint64_t a0, uint64_t a1) {
  uint64_t ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(static_cast<uint64_t>(number)), "D"(a0), "S"(a1)
               : "rcx", "r11", "memory");
  return ret;
}
#endif

// The typed wrappers, one per system call, generated from core/abi/syscalls.tbl: calls that
// produce values return Result<T> (a struct named after the call when there are several), the
// others Status; the IPC calls take the whole register file (below), and thread_exit and
// process_exit do not return.
//
// The IPC calls take `regs`: fill `regs.tag` and `regs.words`, the wrapper sets
// `regs.handle_or_badge`. On return `regs` holds the registers as the kernel left them: for
// the receiving calls the sender's badge in handle_or_badge, its tag and words 0..9; words
// 10.. and received capabilities are in the calling thread's IPC buffer (rt::ipc_buffer()).

}  // namespace hmk::rt

#include "svc/lib/syscall_wrappers.h"  // IWYU pragma: export
