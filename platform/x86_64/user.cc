// Running user code: entering CPL3, the syscall entry into the core, and the way back.
#include "core/arch.h"
#include "core/kernel.h"
#include "core/syscall.h"
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/trap_frame.h"

extern "C" void x86_64_enter_user(uint64_t entry, uint64_t user_stack, uint64_t* resume_rsp);
extern "C" [[noreturn]] void x86_64_resume_kernel(uint64_t resume_rsp);

namespace hmk::arch {
namespace {
// Where run_user parked the kernel's stack, and what it will return.
uint64_t g_resume_rsp = 0;
UserOutcome g_outcome;
}  // namespace

UserOutcome run_user(AddressSpace& space, uint64_t entry, uint64_t stack_top) {
  uint64_t rflags;
  asm volatile("pushfq; popq %0" : "=r"(rflags));
  x86::write_cr3(space.root);
  note_user_entry(cycle_counter());
  x86_64_enter_user(entry, stack_top, &g_resume_rsp);
  // Back here through leave_user, with interrupts off: restore the caller's state.
  g_resume_rsp = 0;
  if (rflags & (1u << 9)) x86::sti();
  return g_outcome;
}

void leave_user(UserOutcome outcome) {
  g_outcome = outcome;
  x86::cli();
  x86_64_resume_kernel(g_resume_rsp);
}

}  // namespace hmk::arch

extern "C" uint64_t x86_64_syscall(hmk::x86::SyscallFrame* frame) {
  hmk::SyscallArgs args{frame->rax,
                        {frame->rdi, frame->rsi, frame->rdx, frame->r10, frame->r8, frame->r9}};
  return static_cast<uint64_t>(static_cast<int64_t>(hmk::handle_syscall(args)));
}
