// clock_gettime: normalized times, CLOCK_MONOTONIC never goes back, CPU time advances; bad calls
// fail.
//
// Syscalls: clock_gettime
#include "check.h"

#include <time.h>

// The system call itself, not the vDSO that musl would use on Linux.
static struct timespec now(clockid_t clock) {
  struct timespec ts = {-1, -1};
  if (syscall(SYS_clock_gettime, clock, &ts) != 0) FAIL("clock_gettime(%d)", (int)clock);
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
    FAIL("clock %d: not normalized: %lld.%09ld", (int)clock, (long long)ts.tv_sec, ts.tv_nsec);
  }
  return ts;
}

static long long ns(struct timespec ts) {
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  long long last = ns(now(CLOCK_MONOTONIC));
  for (int i = 0; i < 1000; i++) {
    long long t = ns(now(CLOCK_MONOTONIC));
    CHECK(t >= last);
    last = t;
  }
  now(CLOCK_REALTIME);
  // CLOCK_BOOTTIME counts suspend as well: never behind CLOCK_MONOTONIC.
  long long mono = ns(now(CLOCK_MONOTONIC));
  CHECK(ns(now(CLOCK_BOOTTIME)) >= mono);
  // Spinning costs CPU time (bounded by 10 s of monotonic time).
  long long cpu0 = ns(now(CLOCK_PROCESS_CPUTIME_ID));
  long long deadline = ns(now(CLOCK_MONOTONIC)) + 10000000000LL;
  while (ns(now(CLOCK_PROCESS_CPUTIME_ID)) == cpu0)
    CHECK(ns(now(CLOCK_MONOTONIC)) < deadline);
  CHECK(ns(now(CLOCK_THREAD_CPUTIME_ID)) > 0);
  struct timespec ts;
  CHECK_ERR(syscall(SYS_clock_gettime, 100, &ts), EINVAL);
  CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void*)1), EFAULT);
  CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_REALTIME, NULL), EFAULT);
  return 0;
}
