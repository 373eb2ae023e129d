// wait4(WNOHANG) returns 0 while the child runs and its pid once it has exited.
//
// Syscalls: pipe, fork, read, wait4, write, sched_yield?, close, exit_group, rt_sigprocmask, gettid
#include "check.h"

#include <sched.h>

int main(void) {
  int go[2];
  CHECK_OK(pipe(go));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char c;
    syscall(SYS_exit_group, read(go[0], &c, 1) == 1 ? 4 : 5);
  }
  // The child is blocked reading: nothing to collect yet.
  int status = -1;
  CHECK_EQ(wait4(child, &status, WNOHANG, NULL), 0);
  CHECK_EQ(wait4(-1, &status, WNOHANG, NULL), 0);
  CHECK_EQ(write(go[1], "g", 1), 1);
  // It exits soon: poll until collected (the blocking wait would be the same test with no bound).
  long r;
  while ((r = CHECK_OK(wait4(child, &status, WNOHANG, NULL))) == 0)
    sched_yield();
  CHECK_EQ(r, child);
  CHECK_EXITED(status, 4);
  CHECK_ERR(wait4(child, &status, WNOHANG, NULL), ECHILD);
  CHECK_OK(close(go[0]));
  CHECK_OK(close(go[1]));
  return 0;
}
