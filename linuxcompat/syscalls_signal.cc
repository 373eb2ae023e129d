// Signals: rt_sigreturn, rt_sigsuspend, pause, rt_sigpending, sigaltstack (rt_sigaction and
// rt_sigprocmask are in syscalls_basic.cc; sending is syscalls_proc.cc's).
#include "linuxcompat/signal_frame.h"
#include "linuxcompat/signals.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"

namespace hmk::lx {
namespace {

struct StackT {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};

constexpr int32_t kSsOnstack = 1;
constexpr int32_t kSsDisable = 2;
constexpr int32_t kSsAutodisarm = 1 << 31;
constexpr uint64_t kMinSigstksz = 2048;

// Waits until a signal the current mask lets through is pending.
int64_t wait_for_signal(Task& task) {
  while (!task.interrupted()) {
    if (shim_services().block(task, task.signal_wait) != 0) break;
  }
  return -kEINTR;
}

}  // namespace

int64_t sys_rt_sigreturn(Task& task) {
  abi::UserRegisters regs;
  abi::FpuState fpu;
  uint64_t mask = 0;
  // The FPU state first: the kernel refuses one the CPU cannot load before anything changed.
  if (shim_services().read_registers(task, &regs) != Status::kOk ||
      pop_signal_frame(task, regs.rsp, regs, fpu, &mask) != 0 ||
      shim_services().write_fpu(task, fpu) != Status::kOk ||
      shim_services().write_registers(task, regs) != Status::kOk) {
    task.exiting = true;  // Linux: a bad frame (a bad MXCSR too) is SIGSEGV
    task.wait_status = kSigsegv;
    return 0;
  }
  task.signal_mask = mask;
  return static_cast<int64_t>(regs.rax);  // the result register is the frame's, as written
}

int64_t sys_rt_sigsuspend(Task& task, uint64_t mask, uint64_t sigsetsize) {
  if (sigsetsize != sizeof(uint64_t)) return -kEINVAL;
  uint64_t wanted = 0;
  if (!task.process.mm.copy_in(&wanted, mask, sizeof(wanted))) return -kEFAULT;
  task.saved_mask = task.signal_mask;
  task.mask_saved = true;
  task.signal_mask = wanted & ~kUnblockable;
  return wait_for_signal(task);
}

int64_t sys_pause(Task& task) {
  return wait_for_signal(task);
}

int64_t sys_rt_sigpending(Task& task, uint64_t set, uint64_t sigsetsize) {
  if (sigsetsize > sizeof(uint64_t)) return -kEINVAL;
  const uint64_t pending = task.pending & task.signal_mask;
  return task.process.mm.copy_out(set, &pending, sigsetsize) ? 0 : -kEFAULT;
}

int64_t sys_sigaltstack(Task& task, uint64_t ss, uint64_t old_ss) {
  abi::UserRegisters regs;
  if (shim_services().read_registers(task, &regs) != Status::kOk) return -kEFAULT;
  const bool on = task.altstack_size != 0 && regs.rsp > task.altstack_sp &&
                  regs.rsp <= task.altstack_sp + task.altstack_size;
  StackT wanted = {};
  if (ss != 0 && !task.process.mm.copy_in(&wanted, ss, sizeof(wanted))) return -kEFAULT;
  if (old_ss != 0) {
    const StackT old = {task.altstack_sp,
                        on ? kSsOnstack : (task.altstack_size == 0 ? kSsDisable : 0), 0,
                        task.altstack_size};
    if (!task.process.mm.copy_out(old_ss, &old, sizeof(old))) return -kEFAULT;
  }
  if (ss == 0) return 0;
  if (on) return -kEPERM;
  const int32_t mode = wanted.flags & ~kSsAutodisarm;
  if (mode != 0 && mode != kSsDisable && mode != kSsOnstack) return -kEINVAL;
  if (mode == kSsDisable) {
    task.altstack_sp = 0;
    task.altstack_size = 0;
    return 0;
  }
  if (wanted.size < kMinSigstksz) return -kENOMEM;
  task.altstack_sp = wanted.sp;
  task.altstack_size = wanted.size;
  return 0;
}

}  // namespace hmk::lx
