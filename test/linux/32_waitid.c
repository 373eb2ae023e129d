// waitid reports exits and kills in siginfo (CLD_EXITED, CLD_KILLED); WNOWAIT leaves the child
// waitable.
//
// Syscalls: fork, exit_group, kill, pause?, waitid, rt_sigprocmask, gettid
#include "check.h"

#include <signal.h>

int main(void) {
  pid_t child = CHECK_OK(fork());
  if (child == 0) syscall(SYS_exit_group, 6);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK_OK(waitid(P_PID, child, &si, WEXITED | WNOWAIT));
  CHECK_EQ(si.si_pid, child);
  CHECK_EQ(si.si_signo, SIGCHLD);
  CHECK_EQ(si.si_code, CLD_EXITED);
  CHECK_EQ(si.si_status, 6);
  // Still there: collect it for real, with P_ALL.
  memset(&si, 0, sizeof si);
  CHECK_OK(waitid(P_ALL, 0, &si, WEXITED));
  CHECK_EQ(si.si_pid, child);
  CHECK_EQ(si.si_status, 6);
  CHECK_ERR(waitid(P_PID, child, &si, WEXITED), ECHILD);
  child = CHECK_OK(fork());
  if (child == 0) {
    for (;;)
      pause();
  }
  CHECK_OK(kill(child, SIGKILL));
  memset(&si, 0, sizeof si);
  CHECK_OK(waitid(P_PID, child, &si, WEXITED));
  CHECK_EQ(si.si_code, CLD_KILLED);
  CHECK_EQ(si.si_status, SIGKILL);
  CHECK_ERR(waitid(P_PID, 1, &si, 0), EINVAL);    // no event asked for
  CHECK_ERR(waitid(7, 0, &si, WEXITED), EINVAL);  // not an id type
  return 0;
}
