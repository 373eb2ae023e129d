// fchdir to a directory fd sets the working directory; a file fd is ENOTDIR, a bad fd EBADF.
//
// Syscalls: mkdir, open, fchdir, getcwd, close, unlink, rmdir, chdir, getpid, stat
#include "check.h"

#include <fcntl.h>

// getcwd's answer names the same directory as `path` (which may go through symlinks).
static void check_cwd_is(const char* path) {
  char cwd[512];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK_EQ(cwd[0], '/');
  struct stat a, b;
  CHECK_OK(stat(cwd, &a));
  CHECK_OK(stat(path, &b));
  CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  const char* tail = strrchr(path, '/');
  CHECK(strlen(cwd) >= strlen(tail) && strcmp(cwd + strlen(cwd) - strlen(tail), tail) == 0);
}

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  int ffd = CHECK_OK(open(scratch("f"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(fchdir(dfd));
  check_cwd_is(scratch("d"));
  // Raw: on EBADF musl tries again through /proc/self/fd (for O_PATH fds).
  CHECK_ERR(syscall(SYS_fchdir, ffd), ENOTDIR);
  CHECK_ERR(syscall(SYS_fchdir, -1), EBADF);
  CHECK_ERR(syscall(SYS_fchdir, 999), EBADF);
  check_cwd_is(scratch("d"));
  CHECK_OK(chdir("/"));
  CHECK_OK(close(dfd));
  CHECK_OK(close(ffd));
  CHECK_OK(unlink(scratch("f")));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
