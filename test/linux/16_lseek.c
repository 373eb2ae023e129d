// lseek with SEEK_SET/CUR/END returns the new offset; negative results and bad whence are EINVAL.
//
// Syscalls: open, write, lseek, read, close, pipe, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("f");
  int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "abcdefghij", 10), 10);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
  CHECK_EQ(lseek(fd, 3, SEEK_SET), 3);
  CHECK_EQ(lseek(fd, 2, SEEK_CUR), 5);
  char c;
  CHECK_EQ(read(fd, &c, 1), 1);
  CHECK_EQ(c, 'f');
  CHECK_EQ(lseek(fd, -1, SEEK_END), 9);
  CHECK_EQ(read(fd, &c, 1), 1);
  CHECK_EQ(c, 'j');
  CHECK_EQ(lseek(fd, -4, SEEK_CUR), 6);
  // Refusals leave the offset alone.
  CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
  CHECK_ERR(lseek(fd, -7, SEEK_CUR), EINVAL);
  CHECK_ERR(lseek(fd, -11, SEEK_END), EINVAL);
  CHECK_ERR(lseek(fd, 0, 42), EINVAL);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
  CHECK_OK(close(fd));
  CHECK_ERR(lseek(fd, 0, SEEK_SET), EBADF);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
  CHECK_ERR(lseek(p[1], 0, SEEK_CUR), ESPIPE);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
