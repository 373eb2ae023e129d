// rename with directories: onto an empty dir works; ENOTEMPTY, EISDIR, ENOTDIR, EINVAL otherwise.
//
// Syscalls: mkdir, open, close, rename, stat, rmdir, unlink, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("a"), 0755));
  CHECK_OK(mkdir(scratch("a/inside"), 0755));
  CHECK_OK(mkdir(scratch("empty"), 0755));
  CHECK_OK(mkdir(scratch("full"), 0755));
  CHECK_OK(close(CHECK_OK(open(scratch("full/x"), O_CREAT | O_WRONLY, 0644))));
  CHECK_OK(close(CHECK_OK(open(scratch("file"), O_CREAT | O_WRONLY, 0644))));
  CHECK_ERR(rename(scratch("a"), scratch("full")), ENOTEMPTY);
  CHECK_ERR(rename(scratch("file"), scratch("empty")), EISDIR);
  CHECK_ERR(rename(scratch("a"), scratch("file")), ENOTDIR);
  // A directory cannot move into itself.
  CHECK_ERR(rename(scratch("a"), scratch("a/inside/a")), EINVAL);
  // Onto an empty directory: replaced, contents move along.
  CHECK_OK(rename(scratch("a"), scratch("empty")));
  struct stat st;
  CHECK_OK(stat(scratch("empty/inside"), &st));
  CHECK(S_ISDIR(st.st_mode));
  CHECK_ERR(stat(scratch("a"), &st), ENOENT);
  CHECK_OK(rmdir(scratch("empty/inside")));
  CHECK_OK(rmdir(scratch("empty")));
  CHECK_OK(unlink(scratch("full/x")));
  CHECK_OK(rmdir(scratch("full")));
  CHECK_OK(unlink(scratch("file")));
  SCRATCH_LEAVE();
  return 0;
}
