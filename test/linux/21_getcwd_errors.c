// The getcwd system call returns the length with the NUL; ERANGE if too small, EFAULT for bad
// buffers.
//
// Syscalls: chdir, getcwd
#include "check.h"

int main(void) {
  CHECK_OK(chdir("/"));
  char buf[64];
  memset(buf, '#', sizeof buf);
  CHECK_EQ(syscall(SYS_getcwd, buf, sizeof buf), 2);
  CHECK_STR(buf, "/");
  CHECK_ERR(syscall(SYS_getcwd, buf, 1), ERANGE);
  CHECK_ERR(syscall(SYS_getcwd, buf, 0), ERANGE);
  CHECK_ERR(syscall(SYS_getcwd, (void*)1, sizeof buf), EFAULT);
  CHECK_OK(chdir("/dev"));
  CHECK_EQ(syscall(SYS_getcwd, buf, sizeof buf), 5);
  CHECK_STR(buf, "/dev");
  CHECK_ERR(syscall(SYS_getcwd, buf, 4), ERANGE);
  return 0;
}
