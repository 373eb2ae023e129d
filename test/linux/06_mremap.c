// mremap grows (moving if allowed) and shrinks a mapping, keeping its contents; refusals as Linux.
//
// Syscalls: mmap, mremap, munmap
#include "check.h"

#include <sys/mman.h>

int main(void) {
  int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
  // Two adjacent mappings: the first cannot grow in place.
  char* a = (char*)CHECK_OK(mmap(NULL, 2 * 4096, rw, anon, -1, 0));
  CHECK_OK(munmap(a + 4096, 4096));
  for (int i = 0; i < 4096; i++)
    a[i] = (char)i;
  char* b = (char*)CHECK_OK(mmap(a + 4096, 4096, rw, anon | MAP_FIXED, -1, 0));
  CHECK_ERR(mremap(a, 4096, 3 * 4096, 0), ENOMEM);
  char* moved = (char*)CHECK_OK(mremap(a, 4096, 3 * 4096, MREMAP_MAYMOVE));
  CHECK(moved != a);
  for (int i = 0; i < 4096; i++)
    CHECK_EQ(moved[i], (char)i);
  CHECK_EQ(moved[3 * 4096 - 1], 0);
  moved[3 * 4096 - 1] = 1;
  // Shrinking stays in place.
  CHECK_EQ(mremap(moved, 3 * 4096, 4096, 0), moved);
  CHECK_EQ(moved[100], (char)100);
  CHECK_ERR(mremap(moved + 1, 4096, 8192, MREMAP_MAYMOVE), EINVAL);
  CHECK_ERR(mremap(moved, 4096, 8192, 0x100), EINVAL);  // unknown flag
  CHECK_ERR(mremap(moved, 4096, 0, MREMAP_MAYMOVE), EINVAL);
  CHECK_OK(munmap(moved, 4096));
  CHECK_OK(munmap(b, 4096));
  return 0;
}
