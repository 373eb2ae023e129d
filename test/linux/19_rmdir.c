// rmdir removes empty directories only: ENOTEMPTY, ENOTDIR, ENOENT, and EINVAL for ".".
//
// Syscalls: mkdir, rmdir, open, close, unlink, stat, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  CHECK_OK(mkdir(scratch("d/sub"), 0755));
  CHECK_ERR(rmdir(scratch("d")), ENOTEMPTY);
  CHECK_OK(rmdir(scratch("d/sub")));
  int fd = CHECK_OK(open(scratch("d/f"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_ERR(rmdir(scratch("d")), ENOTEMPTY);
  CHECK_ERR(rmdir(scratch("d/f")), ENOTDIR);
  CHECK_OK(unlink(scratch("d/f")));
  CHECK_ERR(rmdir(scratch("d/.")), EINVAL);
  CHECK_ERR(rmdir(scratch("d/missing")), ENOENT);
  CHECK_OK(rmdir(scratch("d")));
  struct stat st;
  CHECK_ERR(stat(scratch("d"), &st), ENOENT);
  CHECK_ERR(rmdir(scratch("d")), ENOENT);
  SCRATCH_LEAVE();
  return 0;
}
