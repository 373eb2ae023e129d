// A file keeps growing (to 1 MiB by appends, then by ftruncate) while MAP_SHARED mappings of it
// exist: they keep their data, still see writes and the file still sees their stores, and a new
// mapping reaches the new pages.
//
// Syscalls: open, write, pwrite64, pread64, ftruncate, mmap, munmap, close, unlink, mkdir, rmdir,
// getpid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR | O_APPEND, 0644));
  CHECK_EQ(write(fd, "start", 5), 5);
  int rw = PROT_READ | PROT_WRITE;
  volatile char* map = (volatile char*)CHECK_OK(mmap(NULL, 4096, rw, MAP_SHARED, fd, 0));
  map[5] = '+';  // past the end of the file, in its last page: the first append writes there
  static char block[4096];
  for (int i = 0; i < 256; i++) {
    memset(block, 'a' + i % 26, sizeof block);
    CHECK_EQ(write(fd, block, sizeof block), (ssize_t)sizeof block);
    map[0] = (char)('A' + i % 26);
  }
  CHECK_EQ(map[1], 't');
  CHECK_EQ(map[5], 'a');
  CHECK_EQ(map[4095], 'a');
  char c;
  CHECK_EQ(pread(fd, &c, 1, 0), 1);
  CHECK_EQ(c, 'A' + 255 % 26);
  CHECK_EQ(pwrite(fd, "w", 1, 1), 1);  // O_APPEND: appended, not at 1
  CHECK_EQ(map[1], 't');
  int fd2 = CHECK_OK(open(scratch("f"), O_RDWR));
  CHECK_EQ(pwrite(fd2, "W", 1, 2), 1);
  CHECK_EQ(map[2], 'W');
  // A new mapping of the far pages, grown further by ftruncate.
  CHECK_OK(ftruncate(fd2, 2 << 20));
  volatile char* far =
      (volatile char*)CHECK_OK(mmap(NULL, 8192, rw, MAP_SHARED, fd2, (2 << 20) - 8192));
  CHECK_EQ(far[0], 0);
  far[8191] = 'e';
  CHECK_EQ(pread(fd, &c, 1, (2 << 20) - 1), 1);
  CHECK_EQ(c, 'e');
  map[3] = 'M';
  CHECK_EQ(pread(fd, &c, 1, 3), 1);
  CHECK_EQ(c, 'M');
  CHECK_OK(munmap((void*)far, 8192));
  CHECK_OK(munmap((void*)map, 4096));
  CHECK_OK(close(fd2));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
