// Two MAP_SHARED mappings of one file (through two fds, one at a page offset) see each other's
// stores; a MAP_PRIVATE one keeps its stores to itself.
//
// Syscalls: open, ftruncate, mmap, munmap, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_OK(ftruncate(fd, 3 * 4096));
  int fd2 = CHECK_OK(open(scratch("f"), O_RDWR));
  int rw = PROT_READ | PROT_WRITE;
  volatile char* a = (volatile char*)CHECK_OK(mmap(NULL, 3 * 4096, rw, MAP_SHARED, fd, 0));
  volatile char* b = (volatile char*)CHECK_OK(mmap(NULL, 2 * 4096, rw, MAP_SHARED, fd2, 4096));
  CHECK(a != b);
  a[4096 + 1] = 'a';
  CHECK_EQ(b[1], 'a');
  b[4096 + 2] = 'b';
  CHECK_EQ(a[2 * 4096 + 2], 'b');
  // The same fd mapped twice at the same offset.
  volatile char* c = (volatile char*)CHECK_OK(mmap(NULL, 4096, rw, MAP_SHARED, fd, 4096));
  CHECK_EQ(c[1], 'a');
  c[3] = 'c';
  CHECK_EQ(a[4096 + 3], 'c');
  CHECK_EQ(b[3], 'c');
  CHECK_OK(munmap((void*)c, 4096));
  // MAP_PRIVATE over the same page: its own stores stay its own.
  volatile char* p = (volatile char*)CHECK_OK(mmap(NULL, 4096, rw, MAP_PRIVATE, fd, 4096));
  CHECK_EQ(p[1], 'a');
  p[1] = 'p';
  CHECK_EQ(a[4096 + 1], 'a');
  CHECK_EQ(b[1], 'a');
  CHECK_OK(munmap((void*)p, 4096));
  CHECK_OK(munmap((void*)a, 3 * 4096));
  // What is left of b still works.
  b[0] = 'z';
  CHECK_EQ(b[0], 'z');
  CHECK_OK(munmap((void*)b, 2 * 4096));
  CHECK_OK(close(fd2));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
