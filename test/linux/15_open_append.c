// O_APPEND: every write goes to the end of the file, wherever the offset was.
//
// Syscalls: open, write, lseek, pread64, pwrite64, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("log");
  int fd = CHECK_OK(open(path, O_CREAT | O_WRONLY, 0644));
  CHECK_EQ(write(fd, "first\n", 6), 6);
  CHECK_OK(close(fd));
  int a = CHECK_OK(open(path, O_RDWR | O_APPEND));
  // The offset starts at 0, but a write lands at the end and leaves the offset there.
  CHECK_EQ(lseek(a, 0, SEEK_CUR), 0);
  CHECK_EQ(write(a, "second\n", 7), 7);
  CHECK_EQ(lseek(a, 0, SEEK_CUR), 13);
  CHECK_EQ(lseek(a, 2, SEEK_SET), 2);
  CHECK_EQ(write(a, "third\n", 6), 6);
  CHECK_EQ(lseek(a, 0, SEEK_CUR), 19);
  // Another writer grows the file: the next append still goes after its data.
  int b = CHECK_OK(open(path, O_WRONLY));
  CHECK_EQ(pwrite(b, "XXXX", 4, 19), 4);
  CHECK_OK(close(b));
  CHECK_EQ(write(a, "end\n", 4), 4);
  char buf[64];
  CHECK_EQ(pread(a, buf, sizeof buf, 0), 27);
  CHECK(memcmp(buf, "first\nsecond\nthird\nXXXXend\n", 27) == 0);
  CHECK_OK(close(a));
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
