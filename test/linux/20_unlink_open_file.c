// An unlinked file lives on while open: reads and writes work, fstat shows zero links.
//
// Syscalls: open, write, unlink, fstat, lseek, read, close, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "still here", 10), 10);
  CHECK_OK(unlink(scratch("f")));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_nlink, 0);
  CHECK_EQ(st.st_size, 10);
  CHECK_EQ(write(fd, "!", 1), 1);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  char buf[16];
  CHECK_EQ(read(fd, buf, sizeof buf), 11);
  CHECK(memcmp(buf, "still here!", 11) == 0);
  // The name is free for a new, different file.
  int fresh = CHECK_OK(open(scratch("f"), O_CREAT | O_EXCL | O_RDWR, 0644));
  struct stat st2;
  CHECK_OK(fstat(fresh, &st2));
  CHECK_EQ(st2.st_size, 0);
  CHECK_OK(close(fresh));
  CHECK_OK(unlink(scratch("f")));
  CHECK_OK(close(fd));
  SCRATCH_LEAVE();
  return 0;
}
