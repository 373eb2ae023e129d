// getdents64 refuses a too-small buffer (EINVAL), a non-directory (ENOTDIR), bad fds and buffers.
//
// Syscalls: open, getdents64, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int dfd = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
  long long buf[64];
  CHECK_ERR(syscall(SYS_getdents64, dfd, buf, 1), EINVAL);
  CHECK_ERR(syscall(SYS_getdents64, dfd, (void*)1, sizeof buf), EFAULT);
  // Nothing was consumed by the refusals: the first entry is still there.
  CHECK(syscall(SYS_getdents64, dfd, buf, sizeof buf) > 0);
  CHECK_OK(close(dfd));
  int fd = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK_ERR(syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR);
  CHECK_OK(close(fd));
  CHECK_ERR(syscall(SYS_getdents64, fd, buf, sizeof buf), EBADF);
  CHECK_ERR(syscall(SYS_getdents64, -1, buf, sizeof buf), EBADF);
  return 0;
}
