// set_tid_address returns the tid; when the thread exits, the kernel zeroes the word and wakes its
// futex.
//
// Syscalls: set_tid_address, gettid, exit, futex?, mmap, mprotect?, clone, rt_sigprocmask, getpid
#include "check.h"

#include <pthread.h>

#define FUTEX_WAIT 0

static volatile int clear_word = -1;  // the thread's tid once it runs; 0 once it has exited
static long returned, tid;

static void* register_and_exit(void* arg) {
  (void)arg;
  tid = syscall(SYS_gettid);
  clear_word = (int)tid;
  returned = syscall(SYS_set_tid_address, &clear_word);
  syscall(SYS_exit, 0);  // not pthread_exit: musl would not let the kernel clear our word
  return NULL;
}

int main(void) {
  CHECK_EQ(syscall(SYS_set_tid_address, NULL), getpid());
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, register_and_exit, NULL), 0);
  for (;;) {
    int v = clear_word;
    if (v == 0) break;
    // EAGAIN: the word changed before we slept; wake-up: the kernel cleared it. Both re-check.
    long r = syscall(SYS_futex, &clear_word, FUTEX_WAIT, v, NULL, NULL, 0);
    CHECK(r == 0 || errno == EAGAIN || errno == EINTR);
  }
  CHECK(tid > 0 && tid != getpid());
  CHECK_EQ(returned, tid);
  return 0;
}
