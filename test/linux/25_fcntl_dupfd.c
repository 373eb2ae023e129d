// fcntl F_DUPFD/F_DUPFD_CLOEXEC give the lowest free fd >= the argument; bad arguments fail.
//
// Syscalls: fcntl, write, read, pipe, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  int d = CHECK_OK(fcntl(p[1], F_DUPFD, 20));
  CHECK(d >= 20);
  CHECK_EQ(fcntl(d, F_GETFD), 0);
  int e = CHECK_OK(fcntl(p[1], F_DUPFD_CLOEXEC, d));
  CHECK(e > d);
  CHECK_EQ(fcntl(e, F_GETFD), FD_CLOEXEC);
  // All three refer to the same pipe end.
  CHECK_EQ(write(d, "a", 1), 1);
  CHECK_EQ(write(e, "b", 1), 1);
  char buf[2];
  CHECK_EQ(read(p[0], buf, 2), 2);
  CHECK(memcmp(buf, "ab", 2) == 0);
  // The lowest free number at or above the argument.
  CHECK_OK(close(d));
  CHECK_EQ(fcntl(p[1], F_DUPFD, 20), d);
  CHECK_ERR(fcntl(p[1], F_DUPFD, -1), EINVAL);
  CHECK_ERR(fcntl(-1, F_DUPFD, 0), EBADF);
  CHECK_ERR(fcntl(p[1], 12345), EINVAL);  // not a command
  CHECK_OK(close(d));
  CHECK_OK(close(e));
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
