#include "linuxcompat/signals.h"

namespace hmk::lx {
namespace {

// Signals whose default action is to do nothing (signal(7)); the stop signals are treated the
// same until there is job control.
bool default_ignored(int sig) {
  switch (sig) {
    case kSigchld:
    case kSigcont:
    case kSigurg:
    case kSigwinch:
    case kSigstop:
    case kSigtstp:
    case 21:  // SIGTTIN
    case 22:  // SIGTTOU
      return true;
    default:
      return false;
  }
}

}  // namespace

bool signal_ignored(const Process& process, int sig) {
  if (sig == kSigkill || sig < 1 || sig > static_cast<int>(kSignalCount)) return false;
  const uint64_t handler = process.actions[sig - 1].handler;
  return handler == kSigIgn || (handler == kSigDfl && default_ignored(sig));
}

namespace {

// The task ends with `sig` (its default action, or a frame that cannot be written).
int64_t end_with(Task& task, int sig, int64_t result) {
  task.exiting = true;
  task.wait_status = sig;
  return result;
}

}  // namespace

namespace {

// The calls Linux restarts after a handler with SA_RESTART (-ERESTARTSYS); sleeps, poll and
// select, rt_sigsuspend and pause are not among them.
bool restartable(uint64_t nr) {
  switch (nr) {
    case 0:    // read
    case 1:    // write
    case 17:   // pread64
    case 18:   // pwrite64
    case 19:   // readv
    case 20:   // writev
    case 40:   // sendfile
    case 61:   // wait4
    case 202:  // futex
    case 247:  // waitid
      return true;
    default:
      return false;
  }
}

}  // namespace

int64_t deliver_pending(Task& task, int64_t result, int fault, const SignalSource& source,
                        uint64_t nr) {
  const uint64_t restore_mask = task.mask_saved ? task.saved_mask : task.signal_mask;
  for (uint64_t deliverable = task.pending & ~task.signal_mask; deliverable != 0;) {
    const int sig = __builtin_ctzll(deliverable) + 1;
    const uint64_t bit = uint64_t{1} << (sig - 1);
    deliverable &= ~bit;
    task.pending &= ~bit;
    KernelSigaction& action = task.process.actions[sig - 1];
    if (signal_ignored(task.process, sig)) continue;
    if (action.handler == kSigDfl) return end_with(task, sig, result);
    if ((action.flags & kSaRestorer) == 0) return end_with(task, kSigsegv, result);
    abi::UserRegisters regs;
    abi::FpuState fpu;
    if (shim_services().read_registers(task, &regs) != Status::kOk ||
        shim_services().read_fpu(task, &fpu) != Status::kOk) {
      return end_with(task, kSigsegv, result);
    }
    if (fault == 0) regs.rax = static_cast<uint64_t>(result);
    if (fault == 0 && result == -kEINTR && (action.flags & kSaRestart) != 0 && restartable(nr)) {
      regs.rax = nr;  // back to the syscall instruction (two bytes), as it was entered
      regs.rip -= 2;
    }
    const SignalSource from = sig == fault ? source : SignalSource{0, task.senders[sig - 1], 0};
    if (push_signal_frame(task, sig, action, from, restore_mask, fpu, regs) != 0 ||
        shim_services().write_fpu(task, fpu_reset_state()) != Status::kOk ||
        shim_services().write_registers(task, regs) != Status::kOk) {
      return end_with(task, kSigsegv, result);
    }
    const uint64_t self = (action.flags & kSaNodefer) != 0 ? 0 : bit;
    task.signal_mask = (task.signal_mask | action.mask | self) & ~kUnblockable;
    if ((action.flags & kSaResethand) != 0) action = {};
    task.mask_saved = false;
    return 0;
  }
  if (task.mask_saved) {
    task.signal_mask = task.saved_mask;
    task.mask_saved = false;
  }
  return result;
}

void raise_signal(Task& task, int sig) {
  if (signal_ignored(task.process, sig)) return;
  const uint64_t bit = uint64_t{1} << (sig - 1);
  if ((task.signal_mask & bit) != 0 || !signal_terminates(task.process, sig)) {
    task.pending |= bit;
    return;
  }
  task.exiting = true;
  task.wait_status = sig;
}

bool signal_terminates(const Process& process, int sig) {
  if (sig == kSigkill) return true;
  if (sig < 1 || sig > static_cast<int>(kSignalCount)) return false;
  if (process.actions[sig - 1].handler != kSigDfl) return false;  // ignored, or caught
  return !default_ignored(sig);
}

}  // namespace hmk::lx
