// pipe2 applies O_CLOEXEC and O_NONBLOCK (empty read is EAGAIN); unknown flags are EINVAL.
//
// Syscalls: pipe2, fcntl, read, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int p[2];
  CHECK_OK(syscall(SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK));
  CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
  CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
  CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
  CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
  char c;
  CHECK_ERR(read(p[0], &c, 1), EAGAIN);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(syscall(SYS_pipe2, p, 0));
  CHECK_EQ(fcntl(p[0], F_GETFD), 0);
  CHECK(!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_ERR(syscall(SYS_pipe2, p, O_APPEND), EINVAL);
  CHECK_ERR(syscall(SYS_pipe2, p, 0x4), EINVAL);
  CHECK_ERR(syscall(SYS_pipe2, (void*)1, 0), EFAULT);
  return 0;
}
