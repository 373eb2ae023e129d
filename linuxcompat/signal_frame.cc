#include "linuxcompat/signal_frame.h"

#include "core/lib/string.h"

namespace hmk::lx {
namespace {

// struct sigcontext (x86-64): 256 bytes.
struct Sigcontext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // the struct _fpstate above the frame; 0 (rt_sigreturn): the reset state
  uint64_t reserved[8];
};
static_assert(sizeof(Sigcontext) == 256);

struct StackT {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};
static_assert(sizeof(StackT) == 24);

struct Ucontext {
  uint64_t flags;
  uint64_t link;
  StackT stack;
  Sigcontext mcontext;
  uint64_t sigmask;
};
static_assert(sizeof(Ucontext) == 304);

struct Siginfo {
  int32_t signo;
  int32_t error;
  int32_t code;
  int32_t pad;
  union {
    struct {
      int32_t pid;
      uint32_t uid;
    } kill;
    uint64_t address;  // SIGSEGV, SIGBUS, SIGILL, SIGFPE
  } fields;
  uint8_t rest[128 - 24];
};
static_assert(sizeof(Siginfo) == 128);

struct Frame {
  uint64_t return_address;  // the restorer
  Ucontext uc;
  Siginfo info;
};
static_assert(sizeof(Frame) == 440);

// Where glibc's ucontext_t has uc_mcontext.fpregs (224), after the return address; the state
// it points to is struct _fpstate, the fxsave image (without XSAVE).
static_assert(offsetof(Frame, uc) + offsetof(Ucontext, mcontext) + offsetof(Sigcontext, fpstate) ==
              8 + 224);
static_assert(sizeof(abi::FpuState) == 512);

constexpr uint64_t kFpstateAlign = 64;  // Linux aligns it for xsave; the frame keeps that
constexpr int32_t kSsOnstack = 1;
constexpr int32_t kSsDisable = 2;
constexpr uint64_t kRedZone = 128;
constexpr uint64_t kFlagsCleared = 0x400 | 0x100;  // DF and TF, as Linux clears them
// uc_flags as Linux's frame_uc_flags sets them for a 64-bit task on a CPU without XSAVE:
// sigcontext's ss is meaningful and rt_sigreturn restores it as it is (UC_SIGCONTEXT_SS,
// UC_STRICT_RESTORE_SS); no UC_FP_XSTATE (0x1), since fpregs is a plain fxsave image.
constexpr uint64_t kUcSigcontextSs = 0x2;
constexpr uint64_t kUcStrictRestoreSs = 0x4;

Sigcontext to_sigcontext(const abi::UserRegisters& r) {
  Sigcontext c = {};
  c.r8 = r.r8, c.r9 = r.r9, c.r10 = r.r10, c.r11 = r.r11;
  c.r12 = r.r12, c.r13 = r.r13, c.r14 = r.r14, c.r15 = r.r15;
  c.rdi = r.rdi, c.rsi = r.rsi, c.rbp = r.rbp, c.rbx = r.rbx;
  c.rdx = r.rdx, c.rax = r.rax, c.rcx = r.rcx, c.rsp = r.rsp;
  c.rip = r.rip, c.eflags = r.rflags;
  c.cs = 0x33;  // __USER_CS, as Linux reports it
  c.ss = 0x2b;
  return c;
}

void from_sigcontext(const Sigcontext& c, abi::UserRegisters& r) {
  r.r8 = c.r8, r.r9 = c.r9, r.r10 = c.r10, r.r11 = c.r11;
  r.r12 = c.r12, r.r13 = c.r13, r.r14 = c.r14, r.r15 = c.r15;
  r.rdi = c.rdi, r.rsi = c.rsi, r.rbp = c.rbp, r.rbx = c.rbx;
  r.rdx = c.rdx, r.rax = c.rax, r.rcx = c.rcx, r.rsp = c.rsp;
  r.rip = c.rip, r.rflags = c.eflags;
}

bool on_altstack(const Task& task, uint64_t sp) {
  return task.altstack_size != 0 && sp > task.altstack_sp &&
         sp <= task.altstack_sp + task.altstack_size;
}

}  // namespace

abi::FpuState fpu_reset_state() {
  abi::FpuState reset = {};
  reset.fcw = abi::kFpuResetFcw;
  reset.mxcsr = abi::kFpuResetMxcsr;
  return reset;
}

int64_t push_signal_frame(Task& task, int sig, const KernelSigaction& action,
                          const SignalSource& source, uint64_t old_mask, const abi::FpuState& fpu,
                          abi::UserRegisters& regs) {
  uint64_t sp = regs.rsp - kRedZone;
  const bool use_altstack =
      (action.flags & kSaOnstack) != 0 && task.altstack_size != 0 && !on_altstack(task, regs.rsp);
  if (use_altstack) sp = task.altstack_sp + task.altstack_size;
  // The FPU state first, then the frame below it (Linux's get_sigframe).
  const uint64_t fpstate = (sp - sizeof(abi::FpuState)) & ~(kFpstateAlign - 1);
  sp = ((fpstate - sizeof(Frame)) & ~uint64_t{15}) - 8;  // (sp + 8) % 16 == 0, as after a call
  abi::FpuState saved = fpu;
  // sw_reserved: no xsave magic (nothing but the fxsave image follows), as without XSAVE.
  mem_set(saved.available, 0, sizeof(saved.available));
  if (!task.process.mm.copy_out(fpstate, &saved, sizeof(saved))) return -kEFAULT;
  Frame frame = {};
  frame.return_address = action.restorer;
  frame.uc.flags = kUcSigcontextSs | kUcStrictRestoreSs;
  frame.uc.stack.sp = task.altstack_sp;
  frame.uc.stack.size = task.altstack_size;
  frame.uc.stack.flags = task.altstack_size == 0       ? kSsDisable
                         : on_altstack(task, regs.rsp) ? kSsOnstack
                                                       : 0;
  frame.uc.mcontext = to_sigcontext(regs);
  frame.uc.mcontext.oldmask = old_mask;
  frame.uc.mcontext.cr2 = source.address;
  frame.uc.mcontext.fpstate = fpstate;
  frame.uc.sigmask = old_mask;
  frame.info.signo = sig;
  frame.info.code = source.code;
  if (source.code <= 0) {
    frame.info.fields.kill.pid = source.pid;
  } else {
    frame.info.fields.address = source.address;
  }
  if (!task.process.mm.copy_out(sp, &frame, sizeof(frame))) return -kEFAULT;
  regs.rip = action.handler;
  regs.rsp = sp;
  regs.rdi = static_cast<uint64_t>(sig);
  regs.rsi = sp + offsetof(Frame, info);
  regs.rdx = sp + offsetof(Frame, uc);
  regs.rax = 0;
  regs.rflags &= ~kFlagsCleared;
  return 0;
}

int64_t pop_signal_frame(Task& task, uint64_t sp, abi::UserRegisters& regs, abi::FpuState& fpu,
                         uint64_t* mask) {
  Ucontext uc;
  if (!task.process.mm.copy_in(&uc, sp - 8 + offsetof(Frame, uc), sizeof(uc))) return -kEFAULT;
  const uint64_t fpstate = uc.mcontext.fpstate;
  if (fpstate == 0) {
    fpu = fpu_reset_state();
  } else if (fpstate % 16 != 0 || !task.process.mm.copy_in(&fpu, fpstate, sizeof(fpu))) {
    return -kEFAULT;
  }
  from_sigcontext(uc.mcontext, regs);
  *mask = uc.sigmask & ~kUnblockable;
  return 0;
}

}  // namespace hmk::lx
