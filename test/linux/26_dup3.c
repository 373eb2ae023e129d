// dup3 is dup2 with O_CLOEXEC; the same fd twice or unknown flags are EINVAL.
//
// Syscalls: open, dup3, fcntl, close
#include "check.h"

#include <fcntl.h>

// Raw calls: musl checks the same-fd case itself and uses dup2 when there is no O_CLOEXEC.

int main(void) {
  int fd = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK_EQ(syscall(SYS_dup3, fd, 30, O_CLOEXEC), 30);
  CHECK_EQ(fcntl(30, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(syscall(SYS_dup3, fd, 30, 0), 30);
  CHECK_EQ(fcntl(30, F_GETFD), 0);
  CHECK_ERR(syscall(SYS_dup3, fd, fd, 0), EINVAL);
  CHECK_ERR(syscall(SYS_dup3, fd, fd, O_CLOEXEC), EINVAL);
  CHECK_ERR(syscall(SYS_dup3, fd, 31, O_NONBLOCK), EINVAL);
  CHECK_ERR(fcntl(31, F_GETFD), EBADF);  // nothing was created
  CHECK_ERR(syscall(SYS_dup3, -1, 31, 0), EBADF);
  CHECK_OK(close(30));
  CHECK_OK(close(fd));
  return 0;
}
