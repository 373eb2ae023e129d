// readv scatters a file's bytes over its buffers in order; a bad count is EINVAL.
//
// Syscalls: open, write, lseek, readv, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/uio.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("f");
  int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "abcdefghijkl", 12), 12);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  char a[3], b[1], c[5];
  struct iovec iov[4] = {{a, sizeof a}, {b, 0}, {b, sizeof b}, {c, sizeof c}};
  CHECK_EQ(readv(fd, iov, 4), 9);
  CHECK(memcmp(a, "abc", 3) == 0);
  CHECK_EQ(b[0], 'd');
  CHECK(memcmp(c, "efghi", 5) == 0);
  // Only 3 bytes left: the first buffer gets them all.
  memset(c, 0, sizeof c);
  CHECK_EQ(readv(fd, iov + 3, 1), 3);
  CHECK(memcmp(c, "jkl", 3) == 0);
  CHECK_EQ(readv(fd, iov, 4), 0);
  CHECK_ERR(syscall(SYS_readv, fd, iov, -1), EINVAL);
  CHECK_ERR(syscall(SYS_readv, fd, (void*)1, 1), EFAULT);
  CHECK_OK(close(fd));
  CHECK_ERR(readv(fd, iov, 1), EBADF);
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
