// Writing after seeking past the end grows the file; the gap reads as zeros.
//
// Syscalls: open, lseek, write, read, fstat, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("sparse");
  int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "head", 4), 4);
  // Seeking alone does not change the size.
  CHECK_EQ(lseek(fd, 100000, SEEK_SET), 100000);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 4);
  CHECK_EQ(write(fd, "tail", 4), 4);
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 100004);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  static char buf[100004];
  long got = 0;
  for (long r; (r = CHECK_OK(read(fd, buf + got, sizeof buf - (size_t)got))) > 0;)
    got += r;
  CHECK_EQ(got, 100004);
  CHECK(memcmp(buf, "head", 4) == 0);
  for (int i = 4; i < 100000; i++)
    CHECK_EQ(buf[i], 0);
  CHECK(memcmp(buf + 100000, "tail", 4) == 0);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
