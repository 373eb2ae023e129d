// write on a negative, unused, closed or read-only fd fails with EBADF.
//
// Syscalls: write, open, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  CHECK_ERR(write(-1, "x", 1), EBADF);
  CHECK_ERR(write(1000, "x", 1), EBADF);
  CHECK_ERR(write(0x7fffffff, "x", 1), EBADF);
  int fd = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK_ERR(write(fd, "x", 1), EBADF);
  CHECK_OK(close(fd));
  CHECK_ERR(write(fd, "x", 1), EBADF);
  return 0;
}
