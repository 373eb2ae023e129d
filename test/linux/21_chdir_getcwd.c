// chdir changes where relative names resolve and what getcwd reports; ENOTDIR and ENOENT otherwise.
//
// Syscalls: mkdir, chdir, getcwd, open, close, stat, unlink, rmdir, getpid
#include "check.h"

#include <fcntl.h>

// getcwd's answer names the same directory as `path` (which may go through symlinks).
static void check_cwd_is(const char* path) {
  char cwd[512];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK_EQ(cwd[0], '/');
  struct stat a, b;
  CHECK_OK(stat(cwd, &a));
  CHECK_OK(stat(path, &b));
  CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  const char* tail = strrchr(path, '/');
  CHECK(strlen(cwd) >= strlen(tail) && strcmp(cwd + strlen(cwd) - strlen(tail), tail) == 0);
}

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  CHECK_OK(chdir(scratch("d")));
  check_cwd_is(scratch("d"));
  // A relative name now lands in d.
  CHECK_OK(close(CHECK_OK(open("rel", O_CREAT | O_WRONLY, 0644))));
  struct stat st;
  CHECK_OK(stat(scratch("d/rel"), &st));
  CHECK_OK(chdir(".."));
  check_cwd_is(scratch_dir());
  CHECK_OK(chdir("d/."));
  CHECK_OK(stat("rel", &st));
  CHECK_OK(unlink("rel"));
  CHECK_ERR(chdir("missing"), ENOENT);
  CHECK_OK(close(CHECK_OK(open("file", O_CREAT | O_WRONLY, 0644))));
  CHECK_ERR(chdir("file"), ENOTDIR);
  CHECK_ERR(chdir(""), ENOENT);
  CHECK_ERR(syscall(SYS_chdir, (void*)1), EFAULT);
  CHECK_OK(unlink("file"));
  // The root's parent is the root.
  CHECK_OK(chdir("/.."));
  char cwd[8];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK_STR(cwd, "/");
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
