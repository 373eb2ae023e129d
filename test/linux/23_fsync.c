// fsync and fdatasync succeed on files and directories, fail with EINVAL on pipes and EBADF on bad
// fds.
//
// Syscalls: open, write, fsync, fdatasync, close, pipe, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "durable", 7), 7);
  CHECK_OK(fsync(fd));
  CHECK_OK(fdatasync(fd));
  int dfd = CHECK_OK(open(scratch_dir(), O_RDONLY | O_DIRECTORY));
  CHECK_OK(fsync(dfd));
  CHECK_OK(close(dfd));
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(fsync(p[1]), EINVAL);
  CHECK_ERR(fdatasync(p[0]), EINVAL);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(fd));
  CHECK_ERR(fsync(fd), EBADF);
  CHECK_ERR(fsync(-1), EBADF);
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
