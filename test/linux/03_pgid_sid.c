// Process groups and sessions: getpgid(0) is getpgrp, setpgid(0,0) leads a new group, setsid a
// session.
//
// Syscalls: getpgid, getpgrp, getsid, setpgid, setsid, fork, wait4, exit_group, getpid,
// rt_sigprocmask, gettid
#include "check.h"

int main(void) {
  pid_t pgrp = (pid_t)CHECK_OK(syscall(SYS_getpgrp));
  CHECK_EQ(syscall(SYS_getpgid, 0), pgrp);
  CHECK_EQ(syscall(SYS_getpgid, getpid()), pgrp);
  // 0 when the session's leader is outside our pid namespace (as in Bazel's sandbox).
  long sid = CHECK_OK(syscall(SYS_getsid, 0));
  CHECK(sid >= 0);
  CHECK_EQ(syscall(SYS_getsid, getpid()), sid);
  CHECK_ERR(syscall(SYS_getpgid, -1), ESRCH);
  CHECK_ERR(syscall(SYS_setpgid, 0, -1), EINVAL);
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    // In the parent's group first, then the leader of a group of its own.
    pid_t me = (pid_t)syscall(SYS_getpid);
    if (syscall(SYS_getpgid, 0) != pgrp) _exit(10);
    if (syscall(SYS_setpgid, 0, 0) != 0) _exit(11);
    if (syscall(SYS_getpgid, 0) != me) _exit(12);
    // A group leader cannot start a session; a fresh child can, and leads both.
    if (syscall(SYS_setsid) != -1 || errno != EPERM) _exit(13);
    pid_t grandchild = (pid_t)syscall(SYS_fork);
    if (grandchild == 0) {
      pid_t gme = (pid_t)syscall(SYS_getpid);
      if (syscall(SYS_setsid) != gme) _exit(14);
      if (syscall(SYS_getsid, 0) != gme || syscall(SYS_getpgid, 0) != gme) _exit(15);
      _exit(0);
    }
    int st;
    if (waitpid(grandchild, &st, 0) != grandchild || !WIFEXITED(st)) _exit(16);
    _exit(WEXITSTATUS(st));
  }
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(syscall(SYS_getpgrp), pgrp);
  return 0;
}
