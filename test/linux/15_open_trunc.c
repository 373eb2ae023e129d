// O_TRUNC empties an existing file opened for writing; the data is gone, the file stays.
//
// Syscalls: open, write, read, fstat, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("f");
  int fd = CHECK_OK(open(path, O_CREAT | O_WRONLY, 0644));
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  CHECK_OK(close(fd));
  fd = CHECK_OK(open(path, O_WRONLY | O_TRUNC));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 0);
  CHECK_EQ(write(fd, "ab", 2), 2);
  CHECK_OK(close(fd));
  fd = CHECK_OK(open(path, O_RDONLY));
  char buf[16];
  CHECK_EQ(read(fd, buf, sizeof buf), 2);
  CHECK(memcmp(buf, "ab", 2) == 0);
  CHECK_OK(close(fd));
  // O_TRUNC with O_CREAT on an existing file truncates too.
  fd = CHECK_OK(open(path, O_CREAT | O_RDWR | O_TRUNC, 0644));
  CHECK_EQ(read(fd, buf, sizeof buf), 0);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
