// Stores through a MAP_SHARED mapping stay in the file after munmap and close (a new mapping and
// a new open find them), and the mapping outlives its fd and the file's name.
//
// Syscalls: open, ftruncate, mmap, munmap, msync, pread64, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_OK(ftruncate(fd, 4096));
  int rw = PROT_READ | PROT_WRITE;
  char* map = (char*)CHECK_OK(mmap(NULL, 4096, rw, MAP_SHARED, fd, 0));
  memcpy(map, "kept", 4);
  CHECK_OK(munmap(map, 4096));
  CHECK_OK(close(fd));
  fd = CHECK_OK(open(scratch("f"), O_RDWR));
  char buf[4];
  CHECK_EQ(pread(fd, buf, 4, 0), 4);
  CHECK(memcmp(buf, "kept", 4) == 0);
  map = (char*)CHECK_OK(mmap(NULL, 4096, rw, MAP_SHARED, fd, 0));
  CHECK(memcmp(map, "kept", 4) == 0);
  // The fd closed and the name gone: the mapping still reaches the file, which an fd opened
  // before the unlink reads.
  int keep = CHECK_OK(open(scratch("f"), O_RDONLY));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  memcpy(map + 100, "after", 5);
  CHECK_OK(msync(map, 4096, MS_SYNC));
  char buf5[5];
  CHECK_EQ(pread(keep, buf5, 5, 100), 5);
  CHECK(memcmp(buf5, "after", 5) == 0);
  CHECK_OK(close(keep));
  CHECK(memcmp(map, "kept", 4) == 0);
  CHECK_OK(munmap(map, 4096));
  SCRATCH_LEAVE();
  return 0;
}
