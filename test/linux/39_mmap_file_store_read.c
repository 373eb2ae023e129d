// A store through a MAP_SHARED mapping of a file is seen at once by read and pread of the file,
// without msync, and does not change its size.
//
// Syscalls: open, write, mmap, munmap, pread64, read, lseek, fstat, close, unlink, mkdir, rmdir,
// getpid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  char* map = (char*)CHECK_OK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  map[0] = 'a';
  memcpy(map + 5, "XY", 2);
  char buf[16] = {0};
  CHECK_EQ(pread(fd, buf, 10, 0), 10);
  CHECK(memcmp(buf, "a1234XY789", 10) == 0);
  // Through another open file description too, with read(2) and its offset.
  int other = CHECK_OK(open(scratch("f"), O_RDONLY));
  map[9] = 'Z';
  CHECK_EQ(read(other, buf, 16), 10);
  CHECK(memcmp(buf, "a1234XY78Z", 10) == 0);
  CHECK_EQ(read(other, buf, 16), 0);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 10);
  CHECK_EQ(lseek(other, 0, SEEK_SET), 0);
  map[1] = 'b';
  CHECK_EQ(read(other, buf, 2), 2);
  CHECK(memcmp(buf, "ab", 2) == 0);
  CHECK_OK(close(other));
  CHECK_OK(munmap(map, 4096));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
