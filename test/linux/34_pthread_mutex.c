// A pthread mutex (futex wait/wake under contention) makes 4 threads' 200000 increments each exact.
//
// Syscalls: mmap, mprotect?, clone, rt_sigprocmask, futex, munmap?, exit
#include "check.h"

#include <pthread.h>

enum { kThreads = 4, kRounds = 200000 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void* add(void* arg) {
  (void)arg;
  for (int i = 0; i < kRounds; i++) {
    pthread_mutex_lock(&lock);
    counter = counter + 1;  // not atomic: only the lock keeps it exact
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

int main(void) {
  pthread_t t[kThreads];
  // Hold the lock while starting them: every thread begins by waiting in the kernel.
  CHECK_EQ(pthread_mutex_lock(&lock), 0);
  for (int i = 0; i < kThreads; i++)
    CHECK_EQ(pthread_create(&t[i], NULL, add, NULL), 0);
  CHECK_EQ(pthread_mutex_unlock(&lock), 0);
  for (int i = 0; i < kThreads; i++)
    CHECK_EQ(pthread_join(t[i], NULL), 0);
  CHECK_EQ(counter, (long)kThreads * kRounds);
  return 0;
}
