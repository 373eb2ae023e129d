// truncate shortens a file or extends it with zeros; EINVAL for negative sizes, EISDIR for
// directories.
//
// Syscalls: open, write, truncate, stat, pread64, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("f");
  int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  CHECK_OK(truncate(path, 4));
  struct stat st;
  CHECK_OK(stat(path, &st));
  CHECK_EQ(st.st_size, 4);
  CHECK_OK(truncate(path, 8));
  char buf[16];
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), 8);
  CHECK(memcmp(buf, "0123\0\0\0\0", 8) == 0);
  CHECK_ERR(truncate(path, -1), EINVAL);
  CHECK_ERR(truncate(scratch("missing"), 0), ENOENT);
  CHECK_ERR(truncate(scratch_dir(), 0), EISDIR);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
