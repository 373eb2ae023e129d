// fcntl F_GETFD/F_SETFD read and set FD_CLOEXEC per fd (not per open file); O_CLOEXEC sets it at
// open.
//
// Syscalls: open, fcntl, dup, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int fd = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK_EQ(fcntl(fd, F_GETFD), 0);
  CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
  CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  // A dup does not share the flag.
  int copy = CHECK_OK(dup(fd));
  CHECK_EQ(fcntl(copy, F_GETFD), 0);
  CHECK_OK(fcntl(fd, F_SETFD, 0));
  CHECK_EQ(fcntl(fd, F_GETFD), 0);
  int ce = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK_EQ(fcntl(ce, F_GETFD), FD_CLOEXEC);
  CHECK_OK(close(ce));
  CHECK_OK(close(copy));
  CHECK_OK(close(fd));
  CHECK_ERR(fcntl(fd, F_GETFD), EBADF);
  CHECK_ERR(fcntl(-1, F_SETFD, FD_CLOEXEC), EBADF);
  return 0;
}
