// fork returns 0 in the child and its pid in the parent; wait4 returns that pid, status and rusage.
//
// Syscalls: fork, wait4, exit_group, getpid, rt_sigprocmask, gettid
#include "check.h"

#include <sys/resource.h>

int main(void) {
  pid_t child = CHECK_OK(fork());
  if (child == 0) syscall(SYS_exit_group, 17);
  CHECK(child > 0 && child != getpid());
  int status = -1;
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  CHECK_EQ(wait4(child, &status, 0, &ru), child);
  CHECK_EXITED(status, 17);
  CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
  // Any child (-1), and a NULL status.
  child = CHECK_OK(fork());
  if (child == 0) syscall(SYS_exit_group, 0);
  CHECK_EQ(wait4(-1, NULL, 0, NULL), child);
  // No children left.
  CHECK_ERR(wait4(-1, &status, 0, NULL), ECHILD);
  CHECK_ERR(wait4(getpid(), &status, 0, NULL), ECHILD);
  CHECK_ERR(wait4(-1, &status, 0x40000, NULL), EINVAL);  // not a wait option
  return 0;
}
