// madvise(MADV_DONTNEED) over a range with unmapped pages drops the mapped ones, then fails ENOMEM.
//
// Syscalls: mmap, munmap, madvise
#include "check.h"

#include <sys/mman.h>

#define PAGE 4096

int main(void) {
  char* p = (char*)CHECK_OK(
      mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(p, 'x', 5 * PAGE);
  CHECK_OK(munmap(p + PAGE, PAGE));
  CHECK_OK(munmap(p + 4 * PAGE, PAGE));
  // Pages 0, 2 and 3 are mapped: all three are zeroed although the answer is ENOMEM (Linux's
  // madvise goes on past a hole and reports it at the end).
  CHECK_ERR(madvise(p, 4 * PAGE, MADV_DONTNEED), ENOMEM);
  CHECK_EQ(p[0], 0);
  CHECK_EQ(p[PAGE - 1], 0);
  CHECK_EQ(p[2 * PAGE], 0);
  CHECK_EQ(p[4 * PAGE - 1], 0);
  // A range that ends in a hole, and one that has nothing mapped at all.
  memset(p + 2 * PAGE, 'y', 2 * PAGE);
  CHECK_ERR(madvise(p + 3 * PAGE, 2 * PAGE, MADV_DONTNEED), ENOMEM);
  CHECK_EQ(p[2 * PAGE], 'y');
  CHECK_EQ(p[3 * PAGE], 0);
  CHECK_ERR(madvise(p + PAGE, PAGE, MADV_DONTNEED), ENOMEM);
  CHECK_ERR(madvise(p + 4 * PAGE, PAGE, MADV_DONTNEED), ENOMEM);
  // Bad arguments are refused before anything is dropped.
  CHECK_ERR(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
  CHECK_ERR(madvise(p + 2 * PAGE, PAGE, 12345), EINVAL);
  CHECK_EQ(p[2 * PAGE], 'y');
  CHECK_OK(munmap(p, 5 * PAGE));
  return 0;
}
