// A forked child inherits open fds, sharing each open file's offset with its parent.
//
// Syscalls: open, fork, write, wait4, lseek, read, close, unlink, mkdir, rmdir, getpid,
// rt_sigprocmask, gettid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "parent,", 7), 7);
  pid_t child = CHECK_OK(fork());
  if (child == 0) _exit(write(fd, "child,", 6) == 6 ? 0 : 1);
  CHECK_EXITED(wait_child(child), 0);
  // The child's write moved the shared offset: this one goes after it.
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 13);
  CHECK_EQ(write(fd, "parent", 6), 6);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  char buf[32];
  CHECK_EQ(read(fd, buf, sizeof buf), 19);
  CHECK(memcmp(buf, "parent,child,parent", 19) == 0);
  // Closing in the child does not close the parent's fd.
  child = CHECK_OK(fork());
  if (child == 0) _exit(close(fd) == 0 ? 0 : 1);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
