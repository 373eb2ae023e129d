// mmap of a file: MAP_PRIVATE reads its bytes (zeros past the end), MAP_SHARED writes reach the
// file.
//
// Syscalls: open, write, mmap, munmap, msync, pread64, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "mapped file contents", 20), 20);
  char* priv = (char*)CHECK_OK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
  CHECK(memcmp(priv, "mapped file contents", 20) == 0);
  CHECK_EQ(priv[20], 0);
  CHECK_EQ(priv[4095], 0);
  priv[0] = 'M';  // a private copy: the file does not change
  char buf[32];
  CHECK_EQ(pread(fd, buf, 20, 0), 20);
  CHECK_EQ(buf[0], 'm');
  CHECK_OK(munmap(priv, 4096));
  char* shared = (char*)CHECK_OK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  memcpy(shared + 7, "FILE", 4);
  CHECK_OK(msync(shared, 4096, MS_SYNC));
  CHECK_EQ(pread(fd, buf, 20, 0), 20);
  CHECK(memcmp(buf, "mapped FILE contents", 20) == 0);
  CHECK_OK(munmap(shared, 4096));
  // Mapping needs the right access: a read-only fd cannot back a shared writable mapping.
  int ro = CHECK_OK(open(scratch("f"), O_RDONLY));
  CHECK_ERR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
  CHECK_OK(close(ro));
  int dir = CHECK_OK(open(scratch_dir(), O_RDONLY | O_DIRECTORY));
  CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, dir, 0), ENODEV);
  CHECK_OK(close(dir));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
