// A symlink cycle fails with ELOOP; a chain of 8 links resolves.
//
// Syscalls: symlink, open, close, stat, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(symlink("b", scratch("a")));
  CHECK_OK(symlink("a", scratch("b")));
  CHECK_ERR(open(scratch("a"), O_RDONLY), ELOOP);
  struct stat st;
  CHECK_ERR(stat(scratch("b"), &st), ELOOP);
  CHECK_ERR(open(scratch("a/x"), O_RDONLY), ELOOP);
  CHECK_OK(close(CHECK_OK(open(scratch("end"), O_CREAT | O_WRONLY, 0644))));
  char name[8], next[8];
  for (int i = 0; i < 8; i++) {
    snprintf(name, sizeof name, "l%d", i);
    if (i == 7) {
      snprintf(next, sizeof next, "end");
    } else {
      snprintf(next, sizeof next, "l%d", i + 1);
    }
    CHECK_OK(symlink(next, scratch(name)));
  }
  int fd = CHECK_OK(open(scratch("l0"), O_RDONLY));
  CHECK_OK(close(fd));
  for (int i = 0; i < 8; i++) {
    snprintf(name, sizeof name, "l%d", i);
    CHECK_OK(unlink(scratch(name)));
  }
  CHECK_OK(unlink(scratch("end")));
  CHECK_OK(unlink(scratch("a")));
  CHECK_OK(unlink(scratch("b")));
  SCRATCH_LEAVE();
  return 0;
}
