// Several children exit in any order; wait4(-1) collects each exactly once with its own status.
//
// Syscalls: fork, exit_group, wait4, rt_sigprocmask, gettid
#include "check.h"

enum { kChildren = 8 };

int main(void) {
  pid_t pids[kChildren];
  for (int i = 0; i < kChildren; i++) {
    pids[i] = CHECK_OK(fork());
    if (pids[i] == 0) syscall(SYS_exit_group, 100 + i);
  }
  int collected[kChildren] = {0};
  for (int n = 0; n < kChildren; n++) {
    int status;
    pid_t pid = CHECK_OK(waitpid(-1, &status, 0));
    int i = 0;
    while (i < kChildren && pids[i] != pid)
      i++;
    CHECK(i < kChildren);
    CHECK_EQ(collected[i], 0);
    collected[i] = 1;
    CHECK_EXITED(status, 100 + i);
  }
  CHECK_ERR(waitpid(-1, NULL, 0), ECHILD);
  return 0;
}
