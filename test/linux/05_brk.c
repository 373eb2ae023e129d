// brk(0) reports the break; growing it gives zeroed writable memory, shrinking and refusals work.
//
// Syscalls: brk
#include "check.h"

#include <stdint.h>

int main(void) {
  uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
  CHECK(start != 0);
  CHECK_EQ(syscall(SYS_brk, 0), start);
  // Grow by 256 KiB plus a bit (not page-aligned): the new break is returned exactly.
  uintptr_t want = start + (256 << 10) + 123;
  CHECK_EQ(syscall(SYS_brk, want), want);
  CHECK_EQ(syscall(SYS_brk, 0), want);
  unsigned char* p = (unsigned char*)start;
  for (uintptr_t i = 0; i < want - start; i++)
    CHECK_EQ(p[i], 0);
  memset(p, 0xab, want - start);
  CHECK_EQ(p[want - start - 1], 0xab);
  // Shrink back, then grow again: the memory comes back zeroed.
  CHECK_EQ(syscall(SYS_brk, start), start);
  CHECK_EQ(syscall(SYS_brk, want), want);
  CHECK_EQ(p[0], 0);
  CHECK_EQ(p[want - start - 4096], 0);
  // A break below the program's data, or absurdly high, is refused: the old break is returned.
  CHECK_EQ(syscall(SYS_brk, 4096), want);
  CHECK_EQ(syscall(SYS_brk, (uintptr_t)1 << 47), want);
  CHECK_EQ(syscall(SYS_brk, start), start);
  return 0;
}
