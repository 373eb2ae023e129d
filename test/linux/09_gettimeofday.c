// gettimeofday agrees with CLOCK_REALTIME, normalizes microseconds, accepts NULLs; EFAULT
// otherwise.
//
// Syscalls: gettimeofday, clock_gettime, time
#include "check.h"

#include <sys/time.h>
#include <time.h>

int main(void) {
  struct timespec before, after;
  struct timeval tv;
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &before));
  CHECK_OK(syscall(SYS_gettimeofday, &tv, NULL));
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &after));
  CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
  // Microseconds truncate: compare against the realtime readings in the same unit.
  CHECK(us >= before.tv_sec * 1000000LL + before.tv_nsec / 1000);
  CHECK(us <= after.tv_sec * 1000000LL + after.tv_nsec / 1000);
  struct timezone tz;
  CHECK_OK(syscall(SYS_gettimeofday, NULL, &tz));
  CHECK_OK(syscall(SYS_gettimeofday, NULL, NULL));
  CHECK_ERR(syscall(SYS_gettimeofday, (void*)1, NULL), EFAULT);
  // time(2): whole seconds of the same clock.
  long t = CHECK_OK(syscall(SYS_time, NULL));
  CHECK(t >= after.tv_sec && t <= after.tv_sec + 5);
  return 0;
}
