// getpid is positive and stable; a forked child has a new pid and its parent's as getppid.
//
// Syscalls: getpid, getppid, fork, wait4, pipe, write, read, close, rt_sigprocmask, gettid
#include "check.h"

int main(void) {
  pid_t me = getpid();
  CHECK(me > 0);
  CHECK_EQ(syscall(SYS_getpid), me);
  CHECK(getppid() > 0);
  CHECK(getppid() != me);
  int p[2];
  CHECK_OK(pipe(p));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    pid_t ids[2] = {(pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_getppid)};
    _exit(write(p[1], ids, sizeof ids) == sizeof ids ? 0 : 1);
  }
  pid_t ids[2];
  CHECK_EQ(read(p[0], ids, sizeof ids), sizeof ids);
  CHECK_EQ(ids[0], child);
  CHECK_EQ(ids[1], me);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(getpid(), me);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
