// unlink removes a name: then ENOENT; on a directory EISDIR; unlinkat with bad flags EINVAL.
//
// Syscalls: open, close, unlink, stat, mkdir, rmdir, unlinkat, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  struct stat st;
  CHECK_ERR(stat(scratch("f"), &st), ENOENT);
  CHECK_ERR(unlink(scratch("f")), ENOENT);
  CHECK_ERR(unlink(scratch("missing/f")), ENOENT);
  CHECK_OK(mkdir(scratch("d"), 0755));
  CHECK_ERR(unlink(scratch("d")), EISDIR);
  CHECK_ERR(unlinkat(AT_FDCWD, scratch("d"), 0x1), EINVAL);
  fd = CHECK_OK(open(scratch("g"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_ERR(unlink(scratch("g/x")), ENOTDIR);
  CHECK_ERR(unlinkat(AT_FDCWD, scratch("g"), AT_REMOVEDIR), ENOTDIR);
  CHECK_OK(unlinkat(AT_FDCWD, scratch("g"), 0));
  CHECK_ERR(syscall(SYS_unlink, (void*)1), EFAULT);
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
