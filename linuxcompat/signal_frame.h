// Signal delivery as Linux does it on x86-64 (arch/x86/kernel/signal.c): the interrupted
// registers, mask and stack in a ucontext on the user stack (below the red zone, or on the
// alternate stack), the siginfo after it, the restorer's address as the handler's return
// address; the handler runs with rdi = signal, rsi = &info, rdx = &ucontext. Above the frame,
// 64-byte aligned, the FPU state (struct _fpstate: the fxsave image, as Linux writes it on a
// CPU without XSAVE, so no xsave magic in sw_reserved), which uc_mcontext.fpstate points to.
// rt_sigreturn reads the ucontext and the FPU state back.
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "linuxcompat/task.h"

namespace hmk::lx {

inline constexpr uint64_t kSaSiginfo = 0x4;
inline constexpr uint64_t kSaOnstack = 0x08000000;
inline constexpr uint64_t kSaRestart = 0x10000000;
inline constexpr uint64_t kSaNodefer = 0x40000000;
inline constexpr uint64_t kSaResethand = 0x80000000;
inline constexpr uint64_t kSaRestorer = 0x04000000;
inline constexpr uint64_t kSaNocldwait = 0x2;

// Signals no mask blocks: SIGKILL and SIGSTOP.
inline constexpr uint64_t kUnblockable = (uint64_t{1} << 8) | (uint64_t{1} << 18);

// Where the frame came from, for siginfo: a kill-like sender, or a fault at `address`.
struct SignalSource {
  int32_t code;      // si_code: SI_USER (0), SI_KERNEL (0x80), SEGV_MAPERR (1)...
  int32_t pid;       // the sender (SI_USER)
  uint64_t address;  // a fault's address
};

// Builds the frame for `sig` with handler `action` over the interrupted `regs` and `fpu`,
// whose mask was `old_mask`, and sets `regs` to enter the handler (which starts with the FPU
// reset: fpu_reset_state, as Linux resets it). 0, or -EFAULT if the frame cannot be written
// (the caller then kills the task with SIGSEGV).
int64_t push_signal_frame(Task& task, int sig, const KernelSigaction& action,
                          const SignalSource& source, uint64_t old_mask, const abi::FpuState& fpu,
                          abi::UserRegisters& regs);

// rt_sigreturn: the registers, FPU state and mask saved by push_signal_frame, read from the
// frame that starts 8 bytes below `sp` (the handler's `ret` took the restorer's address); a
// NULL fpstate gives the reset state. 0, or -EFAULT when the frame or the FPU state cannot be
// read, or fpstate is not 16-byte aligned (Linux's fxrstor faults on it: SIGSEGV). Whether the
// CPU can load the state (MXCSR) is the kernel's check (thread_write_fpu).
int64_t pop_signal_frame(Task& task, uint64_t sp, abi::UserRegisters& regs, abi::FpuState& fpu,
                         uint64_t* mask);

// The FPU state of a thread that never used it: x87 control word 0x37f, MXCSR 0x1f80.
abi::FpuState fpu_reset_state();

}  // namespace hmk::lx
