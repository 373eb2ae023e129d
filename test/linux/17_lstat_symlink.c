// lstat describes a symlink itself (its size is the target's length); stat follows it.
//
// Syscalls: open, close, symlink, lstat, stat, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("target"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_OK(symlink(scratch("target"), scratch("link")));
  CHECK_OK(symlink("nowhere", scratch("dangling")));
  struct stat l, s;
  CHECK_OK(lstat(scratch("link"), &l));
  CHECK(S_ISLNK(l.st_mode));
  CHECK_EQ(l.st_size, strlen(scratch("target")));
  CHECK_OK(stat(scratch("link"), &s));
  CHECK(S_ISREG(s.st_mode));
  CHECK(s.st_ino != l.st_ino);
  // On anything but a symlink, lstat is stat.
  struct stat t;
  CHECK_OK(lstat(scratch("target"), &t));
  CHECK_EQ(t.st_ino, s.st_ino);
  // A dangling link: lstat works, stat does not.
  CHECK_OK(lstat(scratch("dangling"), &l));
  CHECK_EQ(l.st_size, 7);
  CHECK_ERR(stat(scratch("dangling"), &s), ENOENT);
  CHECK_ERR(lstat(scratch("missing"), &l), ENOENT);
  CHECK_OK(unlink(scratch("dangling")));
  CHECK_OK(unlink(scratch("link")));
  CHECK_OK(unlink(scratch("target")));
  SCRATCH_LEAVE();
  return 0;
}
