// close frees the fd (the lowest free number is reused); closing twice or a bad fd is EBADF.
//
// Syscalls: open, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int a = CHECK_OK(open("/dev/null", O_RDONLY));
  int b = CHECK_OK(open("/dev/null", O_RDONLY));
  int c = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK(a < b && b < c);
  CHECK_OK(close(b));
  CHECK_ERR(close(b), EBADF);
  // New fds take the lowest free number.
  CHECK_EQ(open("/dev/null", O_RDONLY), b);
  CHECK_OK(close(a));
  CHECK_OK(close(b));
  CHECK_EQ(open("/dev/null", O_RDONLY), a);
  CHECK_EQ(open("/dev/null", O_RDONLY), b);
  CHECK_OK(close(a));
  CHECK_OK(close(b));
  CHECK_OK(close(c));
  CHECK_ERR(close(-1), EBADF);
  CHECK_ERR(close(4096), EBADF);
  CHECK_ERR(close(0x7fffffff), EBADF);
  return 0;
}
