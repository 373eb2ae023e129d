// dup returns the lowest free fd, sharing the open file (and its offset); a bad fd is EBADF.
//
// Syscalls: open, dup, close, write, lseek, read, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  int gap = CHECK_OK(open("/dev/null", O_RDONLY));
  int after = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK_OK(close(gap));
  int copy = CHECK_OK(dup(fd));
  CHECK_EQ(copy, gap);
  // One offset: writes through both land one after the other.
  CHECK_EQ(write(fd, "ab", 2), 2);
  CHECK_EQ(write(copy, "cd", 2), 2);
  CHECK_EQ(lseek(copy, 0, SEEK_CUR), 4);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  char buf[8];
  CHECK_EQ(read(copy, buf, sizeof buf), 4);
  CHECK(memcmp(buf, "abcd", 4) == 0);
  // Closing one leaves the other working.
  CHECK_OK(close(fd));
  CHECK_EQ(lseek(copy, 0, SEEK_SET), 0);
  CHECK_EQ(read(copy, buf, 1), 1);
  CHECK_ERR(dup(fd), EBADF);
  CHECK_ERR(dup(-1), EBADF);
  CHECK_OK(close(copy));
  CHECK_OK(close(after));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
