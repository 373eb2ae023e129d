// write then read a file through one fd; wrong access modes give EBADF, bad buffers EFAULT.
//
// Syscalls: open, write, lseek, read, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("data");
  int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
  static char out[10000], in[10000];
  for (unsigned i = 0; i < sizeof out; i++)
    out[i] = (char)(i % 253);
  CHECK_EQ(write(fd, out, sizeof out), sizeof out);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  CHECK_EQ(read(fd, in, sizeof in), sizeof in);
  CHECK(memcmp(in, out, sizeof in) == 0);
  CHECK_EQ(read(fd, in, sizeof in), 0);  // end of file
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  CHECK_ERR(syscall(SYS_read, fd, (void*)1, 10), EFAULT);
  CHECK_ERR(syscall(SYS_write, fd, (void*)1, 10), EFAULT);
  CHECK_OK(close(fd));
  int ro = CHECK_OK(open(path, O_RDONLY));
  CHECK_ERR(write(ro, "x", 1), EBADF);
  CHECK_OK(close(ro));
  int wo = CHECK_OK(open(path, O_WRONLY));
  CHECK_ERR(read(wo, in, 1), EBADF);
  CHECK_OK(close(wo));
  CHECK_ERR(read(-1, in, 1), EBADF);
  CHECK_ERR(read(wo, in, 1), EBADF);
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
