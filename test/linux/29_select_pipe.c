// select reports a pipe's read end readable only once there is data; a timeout of zero polls.
//
// Syscalls: pipe, select, write, read, close
#include "check.h"

#include <sys/select.h>

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  fd_set r, w;
  struct timeval zero = {0, 0};
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p[0], &r);
  FD_SET(p[1], &w);
  CHECK_EQ(select(p[1] + 1, &r, &w, NULL, &zero), 1);
  CHECK(!FD_ISSET(p[0], &r));
  CHECK(FD_ISSET(p[1], &w));
  CHECK_EQ(write(p[1], "s", 1), 1);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timeval second = {1, 0};
  CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, &second), 1);
  CHECK(FD_ISSET(p[0], &r));
  char c;
  CHECK_EQ(read(p[0], &c, 1), 1);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timeval bad = {0, -1};
  CHECK_ERR(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &bad), EINVAL);  // musl checks too
  CHECK_ERR(syscall(SYS_select, -1, NULL, NULL, NULL, &zero), EINVAL);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  zero.tv_usec = 0;
  CHECK_ERR(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &zero), EBADF);
  return 0;
}
