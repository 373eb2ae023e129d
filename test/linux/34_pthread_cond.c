// A condition variable hands 1000 items from a producer to a consumer thread, none lost or doubled.
//
// Syscalls: mmap, mprotect?, clone, rt_sigprocmask, futex, munmap?, exit
#include "check.h"

#include <pthread.h>

enum { kItems = 1000 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int slot, full;  // a one-item queue
static long consumed_sum;

static void* consume(void* arg) {
  (void)arg;
  for (int i = 0; i < kItems; i++) {
    pthread_mutex_lock(&lock);
    while (!full)
      pthread_cond_wait(&changed, &lock);
    consumed_sum += slot;
    full = 0;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, consume, NULL), 0);
  for (int i = 1; i <= kItems; i++) {
    CHECK_EQ(pthread_mutex_lock(&lock), 0);
    while (full)
      CHECK_EQ(pthread_cond_wait(&changed, &lock), 0);
    slot = i;
    full = 1;
    CHECK_EQ(pthread_cond_signal(&changed), 0);
    CHECK_EQ(pthread_mutex_unlock(&lock), 0);
  }
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_EQ(consumed_sum, (long)kItems * (kItems + 1) / 2);
  return 0;
}
