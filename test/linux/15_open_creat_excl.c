// open(O_CREAT) creates a file once; O_CREAT|O_EXCL on an existing name fails with EEXIST.
//
// Syscalls: open, close, fstat, write, stat, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("new");
  CHECK_ERR(open(path, O_RDONLY), ENOENT);
  int fd = CHECK_OK(open(path, O_CREAT | O_EXCL | O_RDWR, 0644));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ(st.st_size, 0);
  CHECK_OK(close(fd));
  CHECK_ERR(open(path, O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
  // Without O_EXCL an existing file is simply opened (and not truncated).
  fd = CHECK_OK(open(path, O_CREAT | O_WRONLY, 0644));
  CHECK_EQ(write(fd, "abc", 3), 3);
  CHECK_OK(close(fd));
  fd = CHECK_OK(open(path, O_CREAT | O_RDONLY, 0644));
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 3);
  CHECK_OK(close(fd));
  // O_EXCL also refuses an existing directory.
  CHECK_ERR(open(scratch("."), O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
  CHECK_OK(unlink(path));
  CHECK_ERR(stat(path, &st), ENOENT);
  SCRATCH_LEAVE();
  return 0;
}
