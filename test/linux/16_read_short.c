// read returns what is there: a short count near the end of a file, then 0 at and past the end.
//
// Syscalls: open, write, read, lseek, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("ten");
  int fd = CHECK_OK(open(path, O_CREAT | O_RDWR | O_TRUNC, 0644));
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  CHECK_EQ(lseek(fd, 4, SEEK_SET), 4);
  char buf[100];
  memset(buf, '#', sizeof buf);
  CHECK_EQ(read(fd, buf, sizeof buf), 6);
  CHECK(memcmp(buf, "456789#", 7) == 0);
  CHECK_EQ(read(fd, buf, sizeof buf), 0);
  CHECK_EQ(read(fd, buf, 0), 0);
  CHECK_EQ(lseek(fd, 1000, SEEK_SET), 1000);
  CHECK_EQ(read(fd, buf, sizeof buf), 0);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
