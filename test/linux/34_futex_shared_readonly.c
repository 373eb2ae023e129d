// A shared futex (no FUTEX_PRIVATE_FLAG) names its word by the page, which must be readable, and
// a read-only page of private anonymous memory is EFAULT (nothing could ever change it); a
// read-only word in MAP_SHARED memory or the program's text works, and so does
// FUTEX_PRIVATE_FLAG on any readable word.
//
// Syscalls: futex, mmap, mprotect, munmap
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128

static long futex(int* word, int op, int val, const struct timespec* timeout, int* word2,
                  int val3) {
  return syscall(SYS_futex, word, op, val, timeout, word2, val3);
}

static int* map(int prot, int flags) {
  void* p = mmap(NULL, 4096, prot, flags | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  return p;
}

int main(void) {
  const struct timespec short_wait = {0, 1000000};
  int* priv = map(PROT_READ | PROT_WRITE, MAP_PRIVATE);
  int* shared = map(PROT_READ | PROT_WRITE, MAP_SHARED);
  int* untouched = map(PROT_READ, MAP_PRIVATE);
  int* none = map(PROT_NONE, MAP_PRIVATE);
  int* gone = map(PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK_OK(munmap(gone, 4096));
  *priv = 5;
  *shared = 5;
  CHECK_OK(mprotect(priv, 4096, PROT_READ));
  CHECK_OK(mprotect(shared, 4096, PROT_READ));

  // Private anonymous and read-only, written before or never: EFAULT whatever the value.
  CHECK_ERR(futex(priv, FUTEX_WAIT, 5, &short_wait, NULL, 0), EFAULT);
  CHECK_ERR(futex(priv, FUTEX_WAIT, 4, NULL, NULL, 0), EFAULT);
  CHECK_ERR(futex(priv, FUTEX_WAIT_BITSET, 4, NULL, NULL, -1), EFAULT);
  CHECK_ERR(futex(priv, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  CHECK_ERR(futex(priv, FUTEX_WAKE_BITSET, 1, NULL, NULL, -1), EFAULT);
  CHECK_ERR(futex(untouched, FUTEX_WAIT, 0, &short_wait, NULL, 0), EFAULT);
  CHECK_ERR(futex(untouched, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  // Either word of a requeue, before the compare.
  int word = 7;
  CHECK_ERR(futex(priv, FUTEX_REQUEUE, 1, (void*)1, &word, 0), EFAULT);
  CHECK_ERR(futex(&word, FUTEX_REQUEUE, 1, (void*)1, priv, 0), EFAULT);
  CHECK_ERR(futex(&word, FUTEX_CMP_REQUEUE, 1, (void*)1, priv, 6), EFAULT);
  // Not readable, or not mapped: EFAULT for a shared wake too.
  CHECK_ERR(futex(none, FUTEX_WAIT, 0, &short_wait, NULL, 0), EFAULT);
  CHECK_ERR(futex(none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  CHECK_ERR(futex(gone, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);

  // The same words with FUTEX_PRIVATE_FLAG: a readable one works, a wake needs nothing mapped.
  CHECK_ERR(futex(priv, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 4, NULL, NULL, 0), EAGAIN);
  CHECK_ERR(futex(priv, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, &short_wait, NULL, 0), ETIMEDOUT);
  CHECK_EQ(futex(priv, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);
  CHECK_ERR(futex(untouched, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &short_wait, NULL, 0), ETIMEDOUT);
  CHECK_EQ(futex(&word, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 1, (void*)1, priv, 0), 0);
  CHECK_ERR(futex(none, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &short_wait, NULL, 0), EFAULT);
  CHECK_EQ(futex(none, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);
  CHECK_EQ(futex(gone, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);

  // MAP_SHARED and read-only: a shared futex works.
  CHECK_ERR(futex(shared, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN);
  CHECK_ERR(futex(shared, FUTEX_WAIT, 5, &short_wait, NULL, 0), ETIMEDOUT);
  CHECK_EQ(futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0), 0);

  // A program's text (a file's page on Linux, never written) is read-only and private, and works.
  int* text = (int*)((uintptr_t)main & ~(uintptr_t)3);
  CHECK_ERR(futex(text, FUTEX_WAIT, *text + 1, NULL, NULL, 0), EAGAIN);
  CHECK_EQ(futex(text, FUTEX_WAKE, 1, NULL, NULL, 0), 0);

  CHECK_OK(munmap(priv, 4096));
  CHECK_OK(munmap(shared, 4096));
  CHECK_OK(munmap(untouched, 4096));
  CHECK_OK(munmap(none, 4096));
  return 0;
}
