// futex: EAGAIN if the word differs, ETIMEDOUT after a timeout, EINVAL unaligned, EFAULT unmapped.
//
// Syscalls: futex, clock_gettime
#include "check.h"

#include <time.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9

static long long mono_ns(void) {
  struct timespec ts;
  if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0) FAIL("clock_gettime");
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  static int words[2] = {5, 0};
  CHECK_ERR(syscall(SYS_futex, &words[0], FUTEX_WAIT, 6, NULL, NULL, 0), EAGAIN);
  struct timespec rel = {0, 20 * 1000000};
  long long t0 = mono_ns();
  CHECK_ERR(syscall(SYS_futex, &words[0], FUTEX_WAIT, 5, &rel, NULL, 0), ETIMEDOUT);
  CHECK(mono_ns() - t0 >= 20 * 1000000LL);
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline.
  long long deadline = mono_ns() + 20 * 1000000LL;
  struct timespec abs = {deadline / 1000000000LL, deadline % 1000000000LL};
  CHECK_ERR(syscall(SYS_futex, &words[0], FUTEX_WAIT_BITSET, 5, &abs, NULL, -1), ETIMEDOUT);
  CHECK(mono_ns() >= deadline);
  CHECK_ERR(syscall(SYS_futex, (char*)&words[0] + 1, FUTEX_WAIT, 5, NULL, NULL, 0), EINVAL);
  CHECK_ERR(syscall(SYS_futex, (void*)8, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
  struct timespec bad = {0, 1000000000};
  CHECK_ERR(syscall(SYS_futex, &words[0], FUTEX_WAIT, 5, &bad, NULL, 0), EINVAL);
  CHECK_ERR(syscall(SYS_futex, &words[0], FUTEX_WAIT_BITSET, 5, NULL, NULL, 0),
            EINVAL);  // bitset 0
  CHECK_EQ(syscall(SYS_futex, &words[1], FUTEX_WAKE, 1, NULL, NULL, 0), 0);
  return 0;
}
