// After a handler, rt_sigreturn restores every register from the signal frame (and edits made to
// it).
//
// Syscalls: rt_sigprocmask, rt_sigaction, getpid, gettid, tgkill, rt_sigreturn
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

enum { kRbx, kR8, kR9, kR10, kR12, kR13, kR14, kR15, kCount };
static const uint64_t kPattern[kCount] = {
    0x1111111111111111, 0x0808080808080808, 0x0909090909090909, 0x1010101010101010,
    0x1212121212121212, 0x1313131313131313, 0x1414141414141414, 0x0f0f0f0f0f0f0f0f,
};
static const uint64_t kNewR15 = 0x5151515151515151;
static uint64_t regs_out[kCount];
static const uint64_t xmm_in[2] = {0x0123456789abcdef, 0xfedcba9876543210};
static uint64_t xmm_out[2];
static volatile int handled;
static volatile uint64_t r15_in_frame;

static void handler(int sig, siginfo_t* si, void* context) {
  (void)sig;
  (void)si;
  ucontext_t* uc = context;
  r15_in_frame = (uint64_t)uc->uc_mcontext.gregs[REG_R15];
  uc->uc_mcontext.gregs[REG_R15] = (greg_t)kNewR15;  // must come back in the register
  // Scratch registers the C code here does not save: only the frame can bring them back.
  __asm__ volatile(
      "xor %%r8d, %%r8d\n\t"
      "xor %%r9d, %%r9d\n\t"
      "xor %%r10d, %%r10d\n\t"
      "xor %%edi, %%edi\n\t"
      "xor %%esi, %%esi\n\t"
      "xor %%edx, %%edx\n\t"
      "pxor %%xmm0, %%xmm0\n\t" ::
          : "r8", "r9", "r10", "rdi", "rsi", "rdx", "xmm0");
  handled++;
}

int main(void) {
  signals_default();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  long rax = SYS_tgkill, rdi = getpid(), rsi = syscall(SYS_gettid), rdx = SIGUSR1;
  const long pid = rdi, tid = rsi;
  const uint64_t* in = kPattern;  // in rcx, which the syscall instruction overwrites
  // Load patterns, send the signal with the syscall instruction itself (delivered on its way
  // back), store every register as it is after the handler and rt_sigreturn.
  __asm__ volatile(
      "mov 0(%[in]), %%rbx\n\t"
      "mov 8(%[in]), %%r8\n\t"
      "mov 16(%[in]), %%r9\n\t"
      "mov 24(%[in]), %%r10\n\t"
      "mov 32(%[in]), %%r12\n\t"
      "mov 40(%[in]), %%r13\n\t"
      "mov 48(%[in]), %%r14\n\t"
      "mov 56(%[in]), %%r15\n\t"
      "movdqu %[xin], %%xmm0\n\t"
      "syscall\n\t"
      "mov %%rbx, %[o0]\n\t"
      "mov %%r8, %[o1]\n\t"
      "mov %%r9, %[o2]\n\t"
      "mov %%r10, %[o3]\n\t"
      "mov %%r12, %[o4]\n\t"
      "mov %%r13, %[o5]\n\t"
      "mov %%r14, %[o6]\n\t"
      "mov %%r15, %[o7]\n\t"
      "movdqu %%xmm0, %[xout]\n\t"
      : "+a"(rax), "+D"(rdi), "+S"(rsi),
        "+d"(rdx), [in] "+c"(in), [o0] "=m"(regs_out[0]), [o1] "=m"(regs_out[1]),
        [o2] "=m"(regs_out[2]), [o3] "=m"(regs_out[3]), [o4] "=m"(regs_out[4]),
        [o5] "=m"(regs_out[5]), [o6] "=m"(regs_out[6]), [o7] "=m"(regs_out[7]), [xout] "=m"(xmm_out)
      : [xin] "m"(xmm_in)
      : "rbx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "xmm0", "memory");
  CHECK_EQ(handled, 1);
  CHECK_EQ(rax, 0);  // tgkill's result, kept across the handler
  CHECK_EQ(rdi, pid);
  CHECK_EQ(rsi, tid);
  CHECK_EQ(rdx, SIGUSR1);
  CHECK_EQ(r15_in_frame, kPattern[kR15]);
  for (int i = 0; i < kR15; i++) {
    if (regs_out[i] != kPattern[i]) FAIL("register %d: %#llx", i, (unsigned long long)regs_out[i]);
  }
  CHECK_EQ(regs_out[kR15], kNewR15);
  CHECK(xmm_out[0] == xmm_in[0] && xmm_out[1] == xmm_in[1]);
  return 0;
}
