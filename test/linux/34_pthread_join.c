// Threads made by pthread_create (clone) run concurrently on shared memory; join returns their
// results.
//
// Syscalls: mmap, mprotect?, clone, rt_sigprocmask, futex?, munmap?, exit
#include "check.h"

#include <pthread.h>
#include <stdint.h>

enum { kThreads = 8 };
static long shared_sums[kThreads];

static void* sum_range(void* arg) {
  intptr_t index = (intptr_t)arg;
  long sum = 0;
  for (long i = index * 100000; i < (index + 1) * 100000; i++)
    sum += i;
  shared_sums[index] = sum;  // memory is shared: the main thread reads this
  return (void*)(intptr_t)(index * 10);
}

int main(void) {
  pthread_t t[kThreads];
  for (intptr_t i = 0; i < kThreads; i++) {
    CHECK_EQ(pthread_create(&t[i], NULL, sum_range, (void*)i), 0);
  }
  long total = 0;
  for (int i = 0; i < kThreads; i++) {
    void* result = NULL;
    CHECK_EQ(pthread_join(t[i], &result), 0);
    CHECK_EQ((intptr_t)result, i * 10);
    total += shared_sums[i];
  }
  long n = kThreads * 100000L;
  CHECK_EQ(total, n * (n - 1) / 2);
  return 0;
}
