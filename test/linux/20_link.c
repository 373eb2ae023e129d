// link adds a second name for the same inode (st_nlink 2); EEXIST, ENOENT, and EPERM for
// directories.
//
// Syscalls: open, write, close, link, linkat, stat, unlink, mkdir, rmdir, read, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("a"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_OK(link(scratch("a"), scratch("b")));
  struct stat sa, sb;
  CHECK_OK(stat(scratch("a"), &sa));
  CHECK_OK(stat(scratch("b"), &sb));
  CHECK_EQ(sa.st_ino, sb.st_ino);
  CHECK_EQ(sa.st_nlink, 2);
  // Data written through one name is read through the other.
  fd = CHECK_OK(open(scratch("b"), O_WRONLY));
  CHECK_EQ(write(fd, "shared", 6), 6);
  CHECK_OK(close(fd));
  char buf[8];
  fd = CHECK_OK(open(scratch("a"), O_RDONLY));
  CHECK_EQ(read(fd, buf, sizeof buf), 6);
  CHECK_OK(close(fd));
  CHECK_ERR(link(scratch("a"), scratch("b")), EEXIST);
  CHECK_ERR(link(scratch("missing"), scratch("c")), ENOENT);
  CHECK_OK(mkdir(scratch("d"), 0755));
  CHECK_ERR(link(scratch("d"), scratch("d2")), EPERM);
  CHECK_OK(linkat(AT_FDCWD, scratch("a"), AT_FDCWD, scratch("d/c"), 0));
  CHECK_ERR(linkat(AT_FDCWD, scratch("a"), AT_FDCWD, scratch("e"), 0x2), EINVAL);
  CHECK_OK(unlink(scratch("a")));
  CHECK_OK(stat(scratch("b"), &sb));
  CHECK_EQ(sb.st_nlink, 2);
  CHECK_OK(unlink(scratch("d/c")));
  CHECK_OK(stat(scratch("b"), &sb));
  CHECK_EQ(sb.st_nlink, 1);
  CHECK_OK(unlink(scratch("b")));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
