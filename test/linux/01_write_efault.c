// write from an unmapped buffer fails with EFAULT (stdout and a pipe), writing nothing.
//
// Syscalls: write, pipe, read, close
#include "check.h"

int main(void) {
  CHECK_ERR(syscall(SYS_write, 1, (void*)1, 5), EFAULT);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(syscall(SYS_write, p[1], (void*)1, 5), EFAULT);
  CHECK_ERR(syscall(SYS_write, p[1], (void*)0, 5), EFAULT);
  CHECK_OK(close(p[1]));
  char buf[8];
  CHECK_EQ(read(p[0], buf, sizeof buf), 0);
  CHECK_OK(close(p[0]));
  return 0;
}
