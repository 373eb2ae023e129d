// kill with signal 0 probes a process; bad signal numbers are EINVAL, a gone process ESRCH.
//
// Syscalls: rt_sigprocmask, rt_sigaction, kill, getpid, fork, wait4, exit_group, gettid
#include "check.h"

#include <signal.h>

int main(void) {
  signals_default();
  CHECK_OK(kill(getpid(), 0));
  CHECK_OK(kill(0, 0));  // our process group
  pid_t child = CHECK_OK(fork());
  if (child == 0) syscall(SYS_exit_group, 0);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_ERR(kill(child, 0), ESRCH);
  CHECK_ERR(kill(child, SIGTERM), ESRCH);
  CHECK_ERR(kill(getpid(), 65), EINVAL);
  CHECK_ERR(kill(getpid(), -1), EINVAL);
  CHECK_ERR(kill(0x3ffffff0, 0), ESRCH);
  return 0;
}
