// symlink stores a target that readlink returns (no NUL, truncated to the buffer); opens follow it.
//
// Syscalls: symlink, readlink, open, write, read, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("target"), O_CREAT | O_WRONLY, 0644));
  CHECK_EQ(write(fd, "T", 1), 1);
  CHECK_OK(close(fd));
  CHECK_OK(symlink("target", scratch("rel")));
  char buf[64];
  memset(buf, '#', sizeof buf);
  CHECK_EQ(readlink(scratch("rel"), buf, sizeof buf), 6);
  CHECK(memcmp(buf, "target#", 7) == 0);  // no NUL added
  CHECK_EQ(readlink(scratch("rel"), buf, 3), 3);
  CHECK(memcmp(buf, "tar", 3) == 0);
  // A relative target is relative to the link's directory.
  fd = CHECK_OK(open(scratch("rel"), O_RDONLY));
  CHECK_EQ(read(fd, buf, sizeof buf), 1);
  CHECK_EQ(buf[0], 'T');
  CHECK_OK(close(fd));
  // The target need not exist; opening through the link then fails.
  CHECK_OK(symlink("missing", scratch("dangling")));
  CHECK_ERR(open(scratch("dangling"), O_RDONLY), ENOENT);
  // O_CREAT through a dangling link creates the target.
  fd = CHECK_OK(open(scratch("dangling"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("missing")));
  CHECK_ERR(open(scratch("rel"), O_RDONLY | O_NOFOLLOW), ELOOP);
  CHECK_ERR(symlink("x", scratch("rel")), EEXIST);
  CHECK_ERR(readlink(scratch("target"), buf, sizeof buf), EINVAL);
  CHECK_ERR(readlink(scratch("none"), buf, sizeof buf), ENOENT);
  CHECK_ERR(syscall(SYS_readlink, scratch("rel"), buf, 0), EINVAL);
  CHECK_ERR(syscall(SYS_readlink, scratch("rel"), (void*)1, 10), EFAULT);
  CHECK_OK(unlink(scratch("dangling")));
  CHECK_OK(unlink(scratch("rel")));
  CHECK_OK(unlink(scratch("target")));
  SCRATCH_LEAVE();
  return 0;
}
