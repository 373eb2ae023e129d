// faccessat resolves relative to a directory fd; a bad fd is EBADF (the plain 3-argument call).
//
// Syscalls: mkdir, open, openat, close, faccessat, unlinkat, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  CHECK_OK(close(CHECK_OK(openat(dfd, "f", O_CREAT | O_WRONLY, 0600))));
  CHECK_OK(syscall(SYS_faccessat, dfd, "f", R_OK | W_OK));
  CHECK_ERR(syscall(SYS_faccessat, dfd, "f", X_OK), EACCES);
  CHECK_ERR(syscall(SYS_faccessat, dfd, "g", F_OK), ENOENT);
  CHECK_OK(syscall(SYS_faccessat, AT_FDCWD, scratch("d/f"), F_OK));
  CHECK_ERR(syscall(SYS_faccessat, -1, "f", F_OK), EBADF);
  CHECK_ERR(syscall(SYS_faccessat, dfd, "f", 0x10), EINVAL);
  CHECK_OK(unlinkat(dfd, "f", 0));
  CHECK_OK(close(dfd));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
