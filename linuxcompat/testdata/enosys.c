/* A call the shim does not implement answers -ENOSYS (and the shim logs it once), a number Linux
   does not use too, and the program goes on. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 2; ++i) {
    errno = 0;
    if (syscall(SYS_acct, 0) != -1 || errno != ENOSYS) return 1;
  }
  errno = 0;
  if (syscall(400) != -1 || errno != ENOSYS) return 2;
  errno = 0;
  if (syscall(100000) != -1 || errno != ENOSYS) return 3;
  puts("ENOSYS as expected");
  return 0;
}
