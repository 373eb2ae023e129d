// mkdirat and unlinkat(AT_REMOVEDIR) work relative to a directory fd.
//
// Syscalls: mkdir, open, mkdirat, newfstatat, unlinkat, close, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  CHECK_OK(mkdirat(dfd, "sub", 0755));
  struct stat st;
  CHECK_OK(fstatat(dfd, "sub", &st, 0));
  CHECK(S_ISDIR(st.st_mode));
  CHECK_ERR(mkdirat(dfd, "sub", 0755), EEXIST);
  CHECK_ERR(mkdirat(-1, "other", 0755), EBADF);
  // Without AT_REMOVEDIR, unlinkat refuses a directory.
  CHECK_ERR(unlinkat(dfd, "sub", 0), EISDIR);
  CHECK_OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
  CHECK_ERR(fstatat(dfd, "sub", &st, 0), ENOENT);
  CHECK_OK(close(dfd));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
