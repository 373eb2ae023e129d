// A blocked signal stays pending (rt_sigpending) and runs once when unblocked; SIGKILL cannot be
// blocked.
//
// Syscalls: rt_sigaction, rt_sigprocmask, kill, getpid, rt_sigpending, rt_sigreturn
#include "check.h"

#include <signal.h>

static volatile int runs;

static void on_usr1(int sig) {
  (void)sig;
  runs++;
}

int main(void) {
  signals_default();
  CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
  sigset_t block, old, now, pending;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGKILL);
  sigaddset(&block, SIGSTOP);
  CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, &old, 8));
  CHECK(!sigismember(&old, SIGUSR1));
  // Two sends of a blocked standard signal: one pending instance.
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(runs, 0);
  CHECK_OK(syscall(SYS_rt_sigpending, &pending, 8));
  CHECK(sigismember(&pending, SIGUSR1));
  // SIGKILL and SIGSTOP were silently left out of the mask.
  CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &now, 8));
  CHECK(sigismember(&now, SIGUSR1));
  CHECK(!sigismember(&now, SIGKILL));
  CHECK(!sigismember(&now, SIGSTOP));
  // Unblocking delivers it before sigprocmask returns.
  CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8));
  CHECK_EQ(runs, 1);
  CHECK_OK(syscall(SYS_rt_sigpending, &pending, 8));
  CHECK(!sigismember(&pending, SIGUSR1));
  CHECK_ERR(syscall(SYS_rt_sigprocmask, 7, &block, NULL, 8), EINVAL);
  CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, NULL, 4), EINVAL);
  CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void*)1, NULL, 8), EFAULT);
  CHECK_ERR(syscall(SYS_rt_sigpending, (void*)1, 8), EFAULT);
  return 0;
}
