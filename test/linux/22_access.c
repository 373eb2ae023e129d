// access answers F_OK/R_OK/W_OK by the file's mode; X_OK needs an x bit (even for root); bad mode
// EINVAL.
//
// Syscalls: open, close, access, chmod, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_OK(access(scratch("f"), F_OK));
  CHECK_OK(access(scratch("f"), R_OK | W_OK));
  // Nobody may execute a file without any x bit.
  CHECK_ERR(access(scratch("f"), X_OK), EACCES);
  CHECK_OK(chmod(scratch("f"), 0755));
  CHECK_OK(access(scratch("f"), X_OK | R_OK));
  CHECK_OK(access(scratch_dir(), X_OK));  // search permission on the directory
  CHECK_ERR(access(scratch("missing"), F_OK), ENOENT);
  CHECK_ERR(access(scratch("f/x"), F_OK), ENOTDIR);
  CHECK_ERR(access(scratch("f"), 0x10), EINVAL);
  CHECK_ERR(syscall(SYS_access, (void*)1, F_OK), EFAULT);
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
