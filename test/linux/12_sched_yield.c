// sched_yield returns 0, also while another thread of the process is runnable.
//
// Syscalls: sched_yield, mmap, mprotect?, clone, rt_sigprocmask, munmap?, futex?, exit
#include "check.h"

#include <pthread.h>
#include <sched.h>

static volatile int stop, spins;

static void* spinner(void* arg) {
  (void)arg;
  while (!stop) {
    spins++;
    if (syscall(SYS_sched_yield) != 0) return (void*)1;
  }
  return NULL;
}

int main(void) {
  for (int i = 0; i < 100; i++)
    CHECK_EQ(syscall(SYS_sched_yield), 0);
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, spinner, NULL), 0);
  // Yielding lets the other thread run, even on one CPU.
  while (spins < 100)
    CHECK_EQ(sched_yield(), 0);
  stop = 1;
  void* result;
  CHECK_EQ(pthread_join(t, &result), 0);
  CHECK(result == NULL);
  return 0;
}
