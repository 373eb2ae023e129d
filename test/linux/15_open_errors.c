// open fails with ENOENT, ENOTDIR, EISDIR, ENAMETOOLONG and EFAULT where Linux does.
//
// Syscalls: open, close, mkdir, rmdir, unlink, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_ERR(open(scratch("missing"), O_RDONLY), ENOENT);
  CHECK_ERR(open(scratch("missing/file"), O_RDONLY), ENOENT);
  CHECK_ERR(open(scratch("missing/file"), O_CREAT | O_WRONLY, 0644), ENOENT);
  CHECK_ERR(open("", O_RDONLY), ENOENT);
  int fd = CHECK_OK(open(scratch("file"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  // A file used as a directory.
  CHECK_ERR(open(scratch("file/x"), O_RDONLY), ENOTDIR);
  CHECK_ERR(open(scratch("file/x"), O_CREAT | O_RDWR, 0644), ENOTDIR);
  CHECK_ERR(open(scratch("file/"), O_RDONLY), ENOTDIR);
  // A directory opened for writing, or created as a file.
  CHECK_OK(mkdir(scratch("dir"), 0755));
  CHECK_ERR(open(scratch("dir"), O_WRONLY), EISDIR);
  CHECK_ERR(open(scratch("dir"), O_RDWR), EISDIR);
  CHECK_ERR(open(scratch("dir"), O_CREAT | O_WRONLY, 0644), EISDIR);
  CHECK_ERR(open(scratch("newdir/"), O_CREAT | O_WRONLY, 0644), EISDIR);
  // A name component longer than 255 bytes.
  char longname[300] = "/";
  memset(longname + 1, 'n', sizeof longname - 2);
  longname[sizeof longname - 1] = 0;
  CHECK_ERR(open(longname, O_RDONLY), ENAMETOOLONG);
  CHECK_ERR(open(longname, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
  CHECK_ERR(syscall(SYS_open, (void*)1, O_RDONLY), EFAULT);
  CHECK_ERR(syscall(SYS_open, NULL, O_RDONLY), EFAULT);
  CHECK_OK(unlink(scratch("file")));
  CHECK_OK(rmdir(scratch("dir")));
  SCRATCH_LEAVE();
  return 0;
}
