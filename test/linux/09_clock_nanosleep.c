// clock_nanosleep: relative and absolute (TIMER_ABSTIME) sleeps last long enough; bad clocks fail.
//
// Syscalls: clock_nanosleep, clock_gettime
#include "check.h"

#include <time.h>

static long long ns(clockid_t clock) {
  struct timespec ts;
  if (syscall(SYS_clock_gettime, clock, &ts) != 0) FAIL("clock_gettime");
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  struct timespec rel = {0, 30 * 1000000};
  long long t0 = ns(CLOCK_MONOTONIC);
  CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &rel, NULL));
  CHECK(ns(CLOCK_MONOTONIC) - t0 >= 30 * 1000000LL);
  // Until an absolute time 30 ms ahead.
  long long target = ns(CLOCK_MONOTONIC) + 30 * 1000000LL;
  struct timespec abs = {target / 1000000000LL, target % 1000000000LL};
  CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
  CHECK(ns(CLOCK_MONOTONIC) >= target);
  // An absolute time in the past returns at once.
  struct timespec past = {0, 1};
  CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
  t0 = ns(CLOCK_REALTIME);
  CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &rel, NULL));
  CHECK(ns(CLOCK_REALTIME) - t0 >= 30 * 1000000LL - 1000000LL);  // REALTIME may be stepped a bit
  CHECK_ERR(syscall(SYS_clock_nanosleep, 100, 0, &rel, NULL), EINVAL);
  struct timespec bad = {0, 1000000000};
  CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
  CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (void*)1, NULL), EFAULT);
  return 0;
}
