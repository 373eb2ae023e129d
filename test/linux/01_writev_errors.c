// writev fails with EINVAL for a bad count or a negative length, EFAULT for a bad iovec array.
//
// Syscalls: writev, read, close, pipe2
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/uio.h>

int main(void) {
  int p[2];
  CHECK_OK(pipe2(p, O_NONBLOCK));
  struct iovec one = {"a", 1};
  CHECK_ERR(syscall(SYS_writev, p[1], &one, -1), EINVAL);
  CHECK_ERR(syscall(SYS_writev, p[1], &one, IOV_MAX + 1), EINVAL);
  CHECK_ERR(syscall(SYS_writev, p[1], (void*)1, 1), EFAULT);
  CHECK_ERR(syscall(SYS_writev, p[1], NULL, 1), EFAULT);
  // A length that is negative as a ssize_t.
  static char buf1[2];
  struct iovec negative[2] = {{buf1, 1}, {buf1, SIZE_MAX}};
  CHECK_ERR(syscall(SYS_writev, p[1], negative, 2), EINVAL);
  CHECK_ERR(syscall(SYS_writev, -1, &one, 1), EBADF);
  // None of that wrote anything.
  char buf[4];
  CHECK_ERR(read(p[0], buf, sizeof buf), EAGAIN);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
