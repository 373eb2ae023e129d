// writev gathers its buffers in order (empty ones included) and returns the total.
//
// Syscalls: writev, pipe, read, close
#include "check.h"

#include <sys/uio.h>

int main(void) {
  struct iovec iov[4] = {{"writev_", 7}, {"x", 0}, {"gather: ", 8}, {"ok\n", 3}};
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(writev(p[1], iov, 4), 18);
  CHECK_EQ(writev(p[1], iov, 0), 0);
  char buf[32];
  CHECK_EQ(read(p[0], buf, sizeof buf), 18);
  CHECK(memcmp(buf, "writev_gather: ok\n", 18) == 0);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  // And on stdout.
  CHECK_EQ(syscall(SYS_writev, 1, iov, 4), 18);
  return 0;
}
