// ftruncate resizes through a writable fd, keeping the offset; read-only fds and pipes are EINVAL.
//
// Syscalls: open, write, ftruncate, fstat, lseek, close, pipe, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "abcdef", 6), 6);
  CHECK_OK(ftruncate(fd, 2));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 2);
  // The offset stays at 6: the next write leaves a zero gap.
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
  CHECK_EQ(write(fd, "z", 1), 1);
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 7);
  CHECK_OK(ftruncate(fd, 0));
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 0);
  CHECK_ERR(ftruncate(fd, -1), EINVAL);
  int ro = CHECK_OK(open(scratch("f"), O_RDONLY));
  CHECK_ERR(ftruncate(ro, 0), EINVAL);
  CHECK_OK(close(ro));
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(ftruncate(p[1], 0), EINVAL);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(fd));
  CHECK_ERR(ftruncate(fd, 0), EBADF);
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
