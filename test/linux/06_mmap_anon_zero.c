// Anonymous private mmap gives page-aligned, zero-filled, writable memory; munmap returns 0.
//
// Syscalls: mmap, munmap
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>

int main(void) {
  size_t len = 3 * 4096 + 100;  // not a multiple of the page size: rounded up
  unsigned char* p = (unsigned char*)CHECK_OK(
      mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  CHECK_EQ((uintptr_t)p % 4096, 0);
  for (size_t i = 0; i < 4 * 4096; i++)
    CHECK_EQ(p[i], 0);
  memset(p, 0x5a, 4 * 4096);
  CHECK_EQ(p[4 * 4096 - 1], 0x5a);
  // A second mapping does not overlap the first and is zeroed too.
  unsigned char* q = (unsigned char*)CHECK_OK(
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  CHECK(q + 4096 <= p || q >= p + 4 * 4096);
  CHECK_EQ(q[0], 0);
  CHECK_EQ(q[4095], 0);
  CHECK_OK(munmap(q, 4096));
  CHECK_OK(munmap(p, len));
  // A large mapping is only charged when touched; touch one byte per page of 64 MiB.
  size_t big = 64u << 20;
  unsigned char* b = (unsigned char*)CHECK_OK(
      mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  for (size_t i = 0; i < big; i += 4096 * 16)
    CHECK_EQ(b[i], 0);
  b[big - 1] = 1;
  CHECK_OK(munmap(b, big));
  return 0;
}
