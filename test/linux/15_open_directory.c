// O_DIRECTORY opens directories only (ENOTDIR otherwise); read on a directory fd is EISDIR.
//
// Syscalls: open, read, close, mkdir, rmdir, unlink, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("dir"), 0755));
  int fd = CHECK_OK(open(scratch("file"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  int dfd = CHECK_OK(open(scratch("dir"), O_RDONLY | O_DIRECTORY));
  char buf[16];
  CHECK_ERR(read(dfd, buf, sizeof buf), EISDIR);
  CHECK_OK(close(dfd));
  // A directory opens without O_DIRECTORY too.
  dfd = CHECK_OK(open(scratch("dir"), O_RDONLY));
  CHECK_OK(close(dfd));
  CHECK_ERR(open(scratch("file"), O_RDONLY | O_DIRECTORY), ENOTDIR);
  CHECK_ERR(open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR);
  CHECK_ERR(open(scratch("missing"), O_RDONLY | O_DIRECTORY), ENOENT);
  CHECK_OK(rmdir(scratch("dir")));
  CHECK_OK(unlink(scratch("file")));
  SCRATCH_LEAVE();
  return 0;
}
