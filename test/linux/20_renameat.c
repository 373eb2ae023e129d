// renameat moves names between two directory fds; renameat2 RENAME_NOREPLACE refuses with EEXIST.
//
// Syscalls: mkdir, open, openat, close, renameat, renameat2, newfstatat, unlinkat, rmdir, getpid
#include "check.h"

#include <fcntl.h>

#define RENAME_NOREPLACE 1

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("from"), 0755));
  CHECK_OK(mkdir(scratch("to"), 0755));
  int from = CHECK_OK(open(scratch("from"), O_RDONLY | O_DIRECTORY));
  int to = CHECK_OK(open(scratch("to"), O_RDONLY | O_DIRECTORY));
  CHECK_OK(close(CHECK_OK(openat(from, "f", O_CREAT | O_WRONLY, 0644))));
  CHECK_OK(close(CHECK_OK(openat(to, "g", O_CREAT | O_WRONLY, 0644))));
  CHECK_OK(syscall(SYS_renameat, from, "f", to, "f"));
  struct stat st;
  CHECK_ERR(fstatat(from, "f", &st, 0), ENOENT);
  CHECK_OK(fstatat(to, "f", &st, 0));
  CHECK_ERR(syscall(SYS_renameat2, to, "f", to, "g", RENAME_NOREPLACE), EEXIST);
  CHECK_OK(syscall(SYS_renameat2, to, "f", from, "h", RENAME_NOREPLACE));
  CHECK_ERR(syscall(SYS_renameat2, from, "h", to, "x", 0x80), EINVAL);
  CHECK_ERR(syscall(SYS_renameat, -1, "h", to, "x"), EBADF);
  CHECK_OK(unlinkat(from, "h", 0));
  CHECK_OK(unlinkat(to, "g", 0));
  CHECK_OK(close(from));
  CHECK_OK(close(to));
  CHECK_OK(rmdir(scratch("from")));
  CHECK_OK(rmdir(scratch("to")));
  SCRATCH_LEAVE();
  return 0;
}
