// symlinkat and readlinkat work relative to a directory fd; readlinkat of "" reads an O_PATH link
// fd.
//
// Syscalls: mkdir, open, symlinkat, readlinkat, openat, close, unlinkat, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  CHECK_OK(symlinkat("../elsewhere", dfd, "link"));
  char buf[32];
  CHECK_EQ(readlinkat(dfd, "link", buf, sizeof buf), 12);
  CHECK(memcmp(buf, "../elsewhere", 12) == 0);
  CHECK_EQ(readlinkat(AT_FDCWD, scratch("d/link"), buf, sizeof buf), 12);
  // An O_PATH|O_NOFOLLOW fd of the link itself, read with an empty name.
  int lfd = CHECK_OK(openat(dfd, "link", O_PATH | O_NOFOLLOW));
  CHECK_EQ(readlinkat(lfd, "", buf, sizeof buf), 12);
  CHECK_OK(close(lfd));
  CHECK_ERR(symlinkat("x", dfd, "link"), EEXIST);
  CHECK_ERR(symlinkat("x", -1, "other"), EBADF);
  CHECK_ERR(readlinkat(dfd, "missing", buf, sizeof buf), ENOENT);
  CHECK_OK(unlinkat(dfd, "link", 0));
  CHECK_OK(close(dfd));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
