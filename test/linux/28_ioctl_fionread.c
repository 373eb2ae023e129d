// ioctl(FIONREAD) on a pipe reports the bytes waiting to be read.
//
// Syscalls: pipe, ioctl, write, read, close
#include "check.h"

#include <sys/ioctl.h>

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  int n = -1;
  CHECK_OK(ioctl(p[0], FIONREAD, &n));
  CHECK_EQ(n, 0);
  CHECK_EQ(write(p[1], "0123456789", 10), 10);
  CHECK_EQ(write(p[1], "ab", 2), 2);
  CHECK_OK(ioctl(p[0], FIONREAD, &n));
  CHECK_EQ(n, 12);
  char buf[5];
  CHECK_EQ(read(p[0], buf, 5), 5);
  CHECK_OK(ioctl(p[0], FIONREAD, &n));
  CHECK_EQ(n, 7);
  CHECK_ERR(ioctl(p[0], FIONREAD, (void*)1), EFAULT);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
