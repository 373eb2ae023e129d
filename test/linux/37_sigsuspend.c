// rt_sigsuspend waits with a temporary mask until a handler runs, returns EINTR, restores the mask.
//
// Syscalls: rt_sigaction, rt_sigprocmask, fork, getppid, kill, rt_sigsuspend, wait4, exit_group,
// gettid, rt_sigreturn
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
  sigset_t block, empty, now;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigemptyset(&empty);
  // Blocked first, so the child's signal waits for sigsuspend, whenever it is sent.
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
  pid_t child = CHECK_OK(fork());
  if (child == 0) syscall(SYS_exit_group, kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
  CHECK_ERR(sigsuspend(&empty), EINTR);
  CHECK_EQ(runs, 1);
  CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
  CHECK(sigismember(&now, SIGUSR1));
  CHECK_EXITED(wait_child(child), 0);
  CHECK_ERR(syscall(SYS_rt_sigsuspend, &empty, 4), EINVAL);
  return 0;
}
