// nanosleep sleeps at least as long as asked; zero returns at once; bad times fail.
//
// Syscalls: nanosleep, clock_gettime
#include "check.h"

#include <time.h>

static long long mono_ns(void) {
  struct timespec ts;
  if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0) FAIL("clock_gettime");
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  struct timespec req = {0, 50 * 1000000}, rem = {7, 7};
  long long t0 = mono_ns();
  CHECK_OK(syscall(SYS_nanosleep, &req, &rem));
  CHECK(mono_ns() - t0 >= 50 * 1000000LL);
  req.tv_nsec = 0;
  CHECK_OK(syscall(SYS_nanosleep, &req, NULL));
  req.tv_nsec = 1000000000;
  CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
  req.tv_nsec = -1;
  CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
  req.tv_sec = -1;
  req.tv_nsec = 0;
  CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
  CHECK_ERR(syscall(SYS_nanosleep, (void*)1, NULL), EFAULT);
  CHECK_ERR(syscall(SYS_nanosleep, NULL, NULL), EFAULT);
  return 0;
}
