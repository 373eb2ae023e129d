// A file open read-only maps MAP_SHARED for reading only: PROT_WRITE is EACCES at mmap and at
// mprotect, MAP_PRIVATE may write its copy; a file open write-only cannot be mapped (EACCES).
//
// Syscalls: open, write, pwrite64, mmap, mprotect, munmap, pread64, close, unlink, mkdir, rmdir,
// getpid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "read only", 9), 9);
  int ro = CHECK_OK(open(scratch("f"), O_RDONLY));
  int rw = PROT_READ | PROT_WRITE;
  CHECK_ERR(mmap(NULL, 4096, rw, MAP_SHARED, ro, 0), EACCES);
  CHECK_ERR(mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
  volatile char* map = (volatile char*)CHECK_OK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0));
  CHECK_EQ(map[0], 'r');
  CHECK_ERR(mprotect((void*)map, 4096, rw), EACCES);
  // Writes through the other fd still show.
  CHECK_EQ(pwrite(fd, "R", 1, 0), 1);
  CHECK_EQ(map[0], 'R');
  CHECK_OK(munmap((void*)map, 4096));
  // A private mapping of a read-only fd may be written: the copy is the process's.
  volatile char* priv = (volatile char*)CHECK_OK(mmap(NULL, 4096, rw, MAP_PRIVATE, ro, 0));
  priv[0] = 'x';
  char c;
  CHECK_EQ(pread(fd, &c, 1, 0), 1);
  CHECK_EQ(c, 'R');
  CHECK_OK(munmap((void*)priv, 4096));
  CHECK_OK(close(ro));
  int wo = CHECK_OK(open(scratch("f"), O_WRONLY));
  CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_SHARED, wo, 0), EACCES);
  CHECK_ERR(mmap(NULL, 4096, rw, MAP_SHARED, wo, 0), EACCES);
  CHECK_OK(close(wo));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
