// mkdir creates an empty directory with mode & ~umask; an existing name is EEXIST, a missing parent
// ENOENT.
//
// Syscalls: umask, mkdir, stat, open, close, rmdir, unlink, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  umask(022);
  CHECK_OK(mkdir(scratch("d"), 0777));
  struct stat st;
  CHECK_OK(stat(scratch("d"), &st));
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ(st.st_mode & 07777, 0755);
  CHECK_ERR(mkdir(scratch("d"), 0755), EEXIST);
  CHECK_ERR(mkdir(scratch("d/"), 0755), EEXIST);
  CHECK_ERR(mkdir(scratch("missing/d"), 0755), ENOENT);
  int fd = CHECK_OK(open(scratch("file"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_ERR(mkdir(scratch("file"), 0755), EEXIST);
  CHECK_ERR(mkdir(scratch("file/d"), 0755), ENOTDIR);
  CHECK_ERR(mkdir("", 0755), ENOENT);
  CHECK_ERR(syscall(SYS_mkdir, (void*)1, 0755), EFAULT);
  // A trailing slash is fine, and nesting works.
  CHECK_OK(mkdir(scratch("d/e/"), 0700));
  CHECK_OK(stat(scratch("d/e"), &st));
  CHECK_EQ(st.st_mode & 07777, 0700);
  CHECK_OK(rmdir(scratch("d/e")));
  CHECK_OK(rmdir(scratch("d")));
  CHECK_OK(unlink(scratch("file")));
  SCRATCH_LEAVE();
  return 0;
}
