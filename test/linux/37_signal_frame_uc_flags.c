// A handler's ucontext has uc_flags UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, and UC_FP_XSTATE
// exactly when uc_mcontext.fpregs is an xsave frame (FP_XSTATE_MAGIC1 in its sw_reserved).
//
// Syscalls: rt_sigaction, rt_sigprocmask, kill, getpid, rt_sigreturn
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1 0x46505853u

static volatile unsigned long flags;
static volatile uint32_t magic1 = 1;
static volatile int runs;

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)sig;
  (void)si;
  const ucontext_t* uc = context;
  flags = uc->uc_flags;
  // struct _fpstate: the 512-byte fxsave image, sw_reserved (struct _fpx_sw_bytes) at 464.
  const char* fpregs = (const char*)uc->uc_mcontext.fpregs;
  if (fpregs != NULL) memcpy((void*)&magic1, fpregs + 464, sizeof(magic1));
  runs++;
}

int main(void) {
  signals_default();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(runs, 1);
  CHECK_EQ(flags & (UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS),
           UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
  CHECK_EQ(flags & ~(unsigned long)(UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS), 0);
  CHECK_EQ((flags & UC_FP_XSTATE) != 0, magic1 == FP_XSTATE_MAGIC1);
  return 0;
}
