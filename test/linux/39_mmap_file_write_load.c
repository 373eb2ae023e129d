// A write or pwrite to a file is seen at once through an existing MAP_SHARED mapping of it, also
// past the old end of the file when the write extends it, and ftruncate's cut bytes read as zero.
//
// Syscalls: open, write, pwrite64, ftruncate, mmap, munmap, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "hello world", 11), 11);
  // Two pages of a file of one: the second is beyond the end until the file grows.
  volatile char* map =
      (volatile char*)CHECK_OK(mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  CHECK_EQ(map[0], 'h');
  CHECK_EQ(pwrite(fd, "HELLO", 5, 0), 5);
  CHECK_EQ(map[0], 'H');
  CHECK_EQ(map[4], 'O');
  CHECK_EQ(map[5], ' ');
  // write(2) at the offset: extends the file within the first page...
  CHECK_EQ(write(fd, "!!", 2), 2);
  CHECK_EQ(map[11], '!');
  CHECK_EQ(map[12], '!');
  CHECK_EQ(map[13], 0);
  // ... and into the second page, which the mapping then shows.
  CHECK_EQ(pwrite(fd, "page two", 8, 5000), 8);
  CHECK_EQ(map[5000], 'p');
  CHECK_EQ(map[5007], 'o');
  CHECK_EQ(map[4999], 0);
  CHECK_EQ(map[4096], 0);
  // Shrinking cuts bytes of the first page: they read as zero, before and after growing again.
  CHECK_OK(ftruncate(fd, 6));
  CHECK_EQ(map[5], ' ');
  CHECK_EQ(map[6], 0);
  CHECK_OK(ftruncate(fd, 100));
  CHECK_EQ(map[10], 0);
  CHECK_EQ(pwrite(fd, "x", 1, 10), 1);
  CHECK_EQ(map[10], 'x');
  CHECK_OK(munmap((void*)map, 8192));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
