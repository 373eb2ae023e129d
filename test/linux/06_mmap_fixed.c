// MAP_FIXED replaces what was at an address; MAP_FIXED_NOREPLACE refuses with EEXIST; a hint is a
// hint.
//
// Syscalls: mmap, munmap
#include "check.h"

#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void) {
  int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
  char* area = (char*)CHECK_OK(mmap(NULL, 4 * 4096, rw, anon, -1, 0));
  memset(area, 'a', 4 * 4096);
  // Replace the second page: it reads as zero, its neighbours keep their contents.
  char* page = (char*)CHECK_OK(mmap(area + 4096, 4096, rw, anon | MAP_FIXED, -1, 0));
  CHECK_EQ(page, area + 4096);
  CHECK_EQ(page[0], 0);
  CHECK_EQ(page[4095], 0);
  CHECK_EQ(area[4095], 'a');
  CHECK_EQ(area[2 * 4096], 'a');
  CHECK_ERR(mmap(area + 2 * 4096, 4096, rw, anon | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
  CHECK_EQ(area[2 * 4096], 'a');
  // After unmapping, the same address is free for MAP_FIXED_NOREPLACE.
  CHECK_OK(munmap(area + 3 * 4096, 4096));
  char* again = (char*)CHECK_OK(mmap(area + 3 * 4096, 4096, rw, anon | MAP_FIXED_NOREPLACE, -1, 0));
  CHECK_EQ(again, area + 3 * 4096);
  CHECK_EQ(again[0], 0);
  // Without MAP_FIXED an occupied address is only a hint: the mapping goes elsewhere.
  char* moved = (char*)CHECK_OK(mmap(area, 4096, rw, anon, -1, 0));
  CHECK(moved != area);
  CHECK_EQ(area[0], 'a');
  CHECK_OK(munmap(moved, 4096));
  CHECK_OK(munmap(area, 4 * 4096));
  return 0;
}
