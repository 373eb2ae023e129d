// stat and fstat of a file agree: regular, its size, one link, its mode; missing names fail.
//
// Syscalls: umask, open, write, fstat, stat, getuid, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  umask(022);
  const char* path = scratch("f");
  int fd = CHECK_OK(open(path, O_CREAT | O_WRONLY, 0640));
  CHECK_EQ(write(fd, "12345", 5), 5);
  struct stat a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0xff, sizeof b);
  CHECK_OK(fstat(fd, &a));
  CHECK_OK(stat(path, &b));
  CHECK(S_ISREG(a.st_mode));
  CHECK_EQ(a.st_mode & 07777, 0640);
  CHECK_EQ(a.st_size, 5);
  CHECK_EQ(a.st_nlink, 1);
  CHECK_EQ(a.st_uid, getuid());
  CHECK(a.st_blksize > 0);
  CHECK_EQ(b.st_ino, a.st_ino);
  CHECK_EQ(b.st_dev, a.st_dev);
  CHECK_EQ(b.st_mode, a.st_mode);
  CHECK_EQ(b.st_size, a.st_size);
  CHECK_EQ(b.st_mtim.tv_sec, a.st_mtim.tv_sec);
  CHECK_OK(close(fd));
  // Directories and devices have their own types.
  CHECK_OK(stat(scratch_dir(), &b));
  CHECK(S_ISDIR(b.st_mode));
  CHECK(b.st_ino != a.st_ino);
  CHECK_OK(stat("/dev/null", &b));
  CHECK(S_ISCHR(b.st_mode));
  CHECK_ERR(stat(scratch("missing"), &b), ENOENT);
  CHECK_ERR(stat(scratch("f/x"), &b), ENOTDIR);
  CHECK_ERR(stat("", &b), ENOENT);
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
