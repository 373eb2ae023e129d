// openat resolves relative names from a directory fd (or AT_FDCWD); absolute names ignore it.
//
// Syscalls: openat, open, write, read, close, mkdir, unlinkat, rmdir, chdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  int fd = CHECK_OK(openat(dfd, "inner", O_CREAT | O_EXCL | O_WRONLY, 0644));
  CHECK_EQ(write(fd, "in", 2), 2);
  CHECK_OK(close(fd));
  // The same file by its full name.
  fd = CHECK_OK(open(scratch("d/inner"), O_RDONLY));
  char buf[4];
  CHECK_EQ(read(fd, buf, sizeof buf), 2);
  CHECK_OK(close(fd));
  // An absolute name: the directory fd is not used (even a bad one).
  fd = CHECK_OK(openat(-1, scratch("d/inner"), O_RDONLY));
  CHECK_OK(close(fd));
  // AT_FDCWD: relative to the working directory.
  CHECK_OK(chdir(scratch("d")));
  fd = CHECK_OK(openat(AT_FDCWD, "inner", O_RDONLY));
  CHECK_OK(close(fd));
  CHECK_OK(chdir("/"));
  // A relative name needs a directory fd.
  CHECK_ERR(openat(-1, "inner", O_RDONLY), EBADF);
  CHECK_ERR(openat(999, "inner", O_RDONLY), EBADF);
  fd = CHECK_OK(openat(dfd, "inner", O_RDONLY));
  CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
  CHECK_OK(close(fd));
  CHECK_ERR(openat(dfd, "nope", O_RDONLY), ENOENT);
  CHECK_OK(unlinkat(dfd, "inner", 0));
  CHECK_OK(close(dfd));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
