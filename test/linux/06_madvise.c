// madvise(MADV_DONTNEED) zeroes private anonymous pages; bad advice or ranges are refused.
//
// Syscalls: mmap, madvise, munmap
#include "check.h"

#include <sys/mman.h>

int main(void) {
  char* p = (char*)CHECK_OK(
      mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(p, 'd', 2 * 4096);
  CHECK_OK(madvise(p, 2 * 4096, MADV_NORMAL));
  CHECK_OK(madvise(p, 2 * 4096, MADV_WILLNEED));
  CHECK_EQ(p[0], 'd');
  CHECK_OK(madvise(p, 4096, MADV_DONTNEED));
  CHECK_EQ(p[0], 0);
  CHECK_EQ(p[4095], 0);
  CHECK_EQ(p[4096], 'd');
  CHECK_ERR(madvise(p + 1, 4096, MADV_NORMAL), EINVAL);
  CHECK_ERR(madvise(p, 4096, 12345), EINVAL);
  CHECK_OK(munmap(p, 2 * 4096));
  CHECK_ERR(madvise(p, 4096, MADV_NORMAL), ENOMEM);
  return 0;
}
