// The main thread's tid is the pid; another thread has its own tid and the same pid.
//
// Syscalls: gettid, getpid, mmap, mprotect?, clone, rt_sigprocmask, munmap?, futex?, exit
#include "check.h"

#include <pthread.h>

static long thread_ids[2];

static void* report(void* arg) {
  (void)arg;
  thread_ids[0] = syscall(SYS_gettid);
  thread_ids[1] = syscall(SYS_getpid);
  return NULL;
}

int main(void) {
  CHECK_EQ(syscall(SYS_gettid), getpid());
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, report, NULL), 0);
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK(thread_ids[0] > 0);
  CHECK(thread_ids[0] != getpid());
  CHECK_EQ(thread_ids[1], getpid());
  CHECK_EQ(syscall(SYS_gettid), getpid());
  return 0;
}
