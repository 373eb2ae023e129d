// newfstatat: relative to a directory fd, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH; bad flags are EINVAL.
//
// Syscalls: newfstatat, mkdir, open, openat, close, symlink, unlinkat, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  int fd = CHECK_OK(openat(dfd, "file", O_CREAT | O_WRONLY, 0644));
  CHECK_OK(symlink("file", scratch("d/link")));
  struct stat st, target, via_fd;
  CHECK_OK(syscall(SYS_newfstatat, dfd, "file", &target, 0));
  CHECK(S_ISREG(target.st_mode));
  // Following the link (the default) gives the file; not following gives the link.
  CHECK_OK(syscall(SYS_newfstatat, dfd, "link", &st, 0));
  CHECK_EQ(st.st_ino, target.st_ino);
  CHECK_OK(syscall(SYS_newfstatat, dfd, "link", &st, AT_SYMLINK_NOFOLLOW));
  CHECK(S_ISLNK(st.st_mode));
  CHECK_EQ(st.st_size, 4);  // strlen("file")
  // An empty name with AT_EMPTY_PATH: the fd itself.
  CHECK_OK(syscall(SYS_newfstatat, fd, "", &via_fd, AT_EMPTY_PATH));
  CHECK_EQ(via_fd.st_ino, target.st_ino);
  CHECK_ERR(syscall(SYS_newfstatat, fd, "", &st, 0), ENOENT);
  // AT_FDCWD with an absolute name.
  CHECK_OK(syscall(SYS_newfstatat, AT_FDCWD, scratch("d/file"), &st, 0));
  CHECK_EQ(st.st_ino, target.st_ino);
  CHECK_ERR(syscall(SYS_newfstatat, dfd, "file", &st, 0x40000000), EINVAL);
  CHECK_ERR(syscall(SYS_newfstatat, fd, "x", &st, 0), ENOTDIR);
  CHECK_ERR(syscall(SYS_newfstatat, 999, "file", &st, 0), EBADF);
  CHECK_ERR(syscall(SYS_newfstatat, dfd, "file", (void*)1, 0), EFAULT);
  CHECK_ERR(syscall(SYS_newfstatat, dfd, (void*)1, &st, 0), EFAULT);
  CHECK_OK(close(fd));
  CHECK_OK(unlinkat(dfd, "link", 0));
  CHECK_OK(unlinkat(dfd, "file", 0));
  CHECK_OK(close(dfd));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
