// dup2 closes and replaces the target fd; onto itself it does nothing; bad fds give EBADF.
//
// Syscalls: pipe, open, dup2, write, read, fcntl, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  int target = CHECK_OK(open("/dev/null", O_WRONLY | O_CLOEXEC));
  CHECK_EQ(dup2(p[1], target), target);
  // The old /dev/null is gone: writes go into the pipe; the new fd is not close-on-exec.
  CHECK_EQ(write(target, "x", 1), 1);
  char c;
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_EQ(c, 'x');
  CHECK_EQ(fcntl(target, F_GETFD), 0);
  // Onto itself: the fd is checked and returned.
  CHECK_EQ(dup2(target, target), target);
  CHECK_ERR(dup2(99, 99), EBADF);
  // To a high free number.
  CHECK_EQ(dup2(p[1], 100), 100);
  CHECK_EQ(write(100, "y", 1), 1);
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_EQ(c, 'y');
  CHECK_ERR(dup2(-1, 5), EBADF);
  CHECK_ERR(dup2(p[1], -1), EBADF);
  CHECK_ERR(dup2(p[1], 0x7fffffff), EBADF);
  CHECK_OK(close(100));
  CHECK_OK(close(target));
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
