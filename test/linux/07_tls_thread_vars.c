// __thread variables: each thread starts from the initial image (.tdata, zeroed .tbss) and owns its
// copy.
//
// Syscalls: mmap, mprotect?, clone, rt_sigprocmask, munmap?, futex?, exit
#include "check.h"

#include <pthread.h>
#include <stdint.h>

static __thread int initialized = 42;
static __thread long zeroed[64];
static __thread char tail = 'T';

// What a thread saw of its own TLS, and where it was.
struct Seen {
  int initialized;
  long zero_sum;
  char tail;
  uintptr_t address;
};

static void* look(void* arg) {
  struct Seen* s = arg;
  s->initialized = initialized;
  for (int i = 0; i < 64; i++)
    s->zero_sum += zeroed[i];
  s->tail = tail;
  s->address = (uintptr_t)&initialized;
  // Change this thread's copy: the other threads must not see it.
  initialized = 7;
  zeroed[5] = 5;
  return NULL;
}

int main(void) {
  CHECK_EQ(initialized, 42);
  CHECK_EQ(tail, 'T');
  initialized = 1000;
  zeroed[0] = 3;
  tail = 'M';
  struct Seen seen[3];
  memset(seen, 0, sizeof seen);
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ(pthread_create(&t[i], NULL, look, &seen[i]), 0);
  for (int i = 0; i < 3; i++)
    CHECK_EQ(pthread_join(t[i], NULL), 0);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(seen[i].initialized, 42);
    CHECK_EQ(seen[i].zero_sum, 0);
    CHECK_EQ(seen[i].tail, 'T');
    CHECK(seen[i].address != (uintptr_t)&initialized);
  }
  CHECK_EQ(initialized, 1000);
  CHECK_EQ(zeroed[0], 3);
  CHECK_EQ(zeroed[5], 0);
  CHECK_EQ(tail, 'M');
  return 0;
}
