// rename moves a file, replacing an existing target file; a missing source is ENOENT.
//
// Syscalls: open, write, close, rename, stat, read, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

static void put(const char* path, const char* text) {
  int fd = CHECK_OK(open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644));
  CHECK_EQ(write(fd, text, strlen(text)), strlen(text));
  CHECK_OK(close(fd));
}

static void expect(const char* path, const char* text) {
  char buf[64];
  int fd = CHECK_OK(open(path, O_RDONLY));
  long n = CHECK_OK(read(fd, buf, sizeof buf - 1));
  buf[n] = 0;
  CHECK_STR(buf, text);
  CHECK_OK(close(fd));
}

int main(void) {
  SCRATCH_ENTER();
  put(scratch("a"), "A");
  struct stat before, after;
  CHECK_OK(stat(scratch("a"), &before));
  CHECK_OK(rename(scratch("a"), scratch("b")));
  CHECK_ERR(stat(scratch("a"), &after), ENOENT);
  CHECK_OK(stat(scratch("b"), &after));
  CHECK_EQ(after.st_ino, before.st_ino);
  expect(scratch("b"), "A");
  // Over an existing file: the target is replaced.
  put(scratch("c"), "C");
  CHECK_OK(rename(scratch("c"), scratch("b")));
  expect(scratch("b"), "C");
  CHECK_ERR(stat(scratch("c"), &after), ENOENT);
  // Into a subdirectory, and onto itself (nothing happens).
  CHECK_OK(mkdir(scratch("d"), 0755));
  CHECK_OK(rename(scratch("b"), scratch("d/b")));
  CHECK_OK(rename(scratch("d/b"), scratch("d/b")));
  expect(scratch("d/b"), "C");
  CHECK_ERR(rename(scratch("missing"), scratch("x")), ENOENT);
  CHECK_ERR(rename(scratch("d/b"), scratch("missing/x")), ENOENT);
  CHECK_ERR(syscall(SYS_rename, (void*)1, scratch("x")), EFAULT);
  CHECK_OK(unlink(scratch("d/b")));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
