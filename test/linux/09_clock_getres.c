// clock_getres reports a resolution between 1 ns and 10 ms; a NULL result is allowed; bad clocks
// fail.
//
// Syscalls: clock_getres
#include "check.h"

#include <time.h>

int main(void) {
  static const clockid_t kClocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
                                      CLOCK_PROCESS_CPUTIME_ID};
  for (unsigned i = 0; i < sizeof kClocks / sizeof kClocks[0]; i++) {
    struct timespec res = {-1, -1};
    CHECK_OK(syscall(SYS_clock_getres, kClocks[i], &res));
    CHECK_EQ(res.tv_sec, 0);
    CHECK(res.tv_nsec >= 1 && res.tv_nsec <= 10000000);
    CHECK_OK(syscall(SYS_clock_getres, kClocks[i], NULL));
  }
  struct timespec res;
  CHECK_ERR(syscall(SYS_clock_getres, 100, &res), EINVAL);
  CHECK_ERR(syscall(SYS_clock_getres, CLOCK_MONOTONIC, (void*)1), EFAULT);
  return 0;
}
