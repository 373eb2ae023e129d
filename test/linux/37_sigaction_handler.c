// rt_sigaction installs a handler that runs (with its signal blocked) and returns the old action.
//
// Syscalls: rt_sigaction, kill, getpid, rt_sigprocmask, rt_sigreturn
#include "check.h"

#include <signal.h>

static volatile int runs, blocked_inside;

static void on_usr1(int sig) {
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  blocked_inside = sig == SIGUSR1 && sigismember(&now, SIGUSR1);
  runs++;
}

int main(void) {
  signals_default();
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  CHECK_OK(sigaction(SIGUSR1, &sa, &old));
  CHECK(old.sa_handler == SIG_DFL);
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(runs, 1);
  CHECK(blocked_inside);
  // Blocked only during the handler.
  sigset_t now;
  CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
  CHECK(!sigismember(&now, SIGUSR1));
  CHECK_OK(sigaction(SIGUSR1, NULL, &old));
  CHECK(old.sa_handler == on_usr1);
  // SIG_IGN: nothing happens.
  sa.sa_handler = SIG_IGN;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(runs, 1);
  CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
  CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
  CHECK_ERR(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL);
  CHECK_ERR(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL);
  CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL);  // sigsetsize
  CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, (void*)1, NULL, 8), EFAULT);
  return 0;
}
