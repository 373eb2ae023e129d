// Raw futex: FUTEX_WAIT sleeps while the word holds the value; FUTEX_WAKE wakes the waiters.
//
// Syscalls: futex, mmap, mprotect?, clone, rt_sigprocmask, sched_yield?, nanosleep, munmap?, exit
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

static volatile int word;            // 0: wait, 1: go
static volatile int waiting, woken;  // how many threads are about to wait / came back

static long futex(volatile int* addr, int op, int val) {
  return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void* waiter(void* arg) {
  (void)arg;
  __atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
  while (word == 0) {
    long r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0);
    if (r != 0 && errno != EAGAIN && errno != EINTR) return (void*)1;
  }
  __atomic_add_fetch(&woken, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

int main(void) {
  // No waiter: FUTEX_WAKE wakes nobody.
  CHECK_EQ(futex(&word, FUTEX_WAKE, 1), 0);
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ(pthread_create(&t[i], NULL, waiter, NULL), 0);
  while (waiting < 3)
    sched_yield();
  // Most likely all three are asleep in FUTEX_WAIT after this (not required for the result).
  struct timespec pause = {0, 20 * 1000000};
  nanosleep(&pause, NULL);
  CHECK_EQ(woken, 0);
  // Wake them all; a thread not yet asleep sees word == 1 and does not sleep.
  word = 1;
  long n = CHECK_OK(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10));
  CHECK(n >= 0 && n <= 3);
  for (int i = 0; i < 3; i++) {
    void* r;
    CHECK_EQ(pthread_join(t[i], &r), 0);
    CHECK(r == NULL);
  }
  CHECK_EQ(woken, 3);
  return 0;
}
