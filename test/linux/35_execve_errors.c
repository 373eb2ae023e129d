// execve fails with ENOENT, EACCES (directory, no x bit), ENOEXEC (not an executable), EFAULT.
//
// Syscalls: open, write, close, chmod, execve, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  char* args[] = {"x", NULL};
  char* env[] = {NULL};
  CHECK_ERR(execve(scratch("missing"), args, env), ENOENT);
  CHECK_ERR(execve(scratch_dir(), args, env), EACCES);
  int fd = CHECK_OK(open(scratch("junk"), O_CREAT | O_WRONLY, 0644));
  CHECK_EQ(write(fd, "\x01\x02garbage, not ELF and no #!\n", 29), 29);
  CHECK_OK(close(fd));
  CHECK_ERR(execve(scratch("junk"), args, env), EACCES);  // no x bit, even for root
  CHECK_OK(chmod(scratch("junk"), 0755));
  CHECK_ERR(execve(scratch("junk"), args, env), ENOEXEC);
  CHECK_ERR(syscall(SYS_execve, (void*)1, args, env), EFAULT);
  CHECK_ERR(syscall(SYS_execve, scratch("junk"), (void*)1, env), EFAULT);
  CHECK_ERR(execve(scratch("junk/x"), args, env), ENOTDIR);
  CHECK_OK(unlink(scratch("junk")));
  SCRATCH_LEAVE();
  return 0;
}
