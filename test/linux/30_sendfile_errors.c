// sendfile refuses fds opened the wrong way (EBADF), negative offsets (EINVAL) and bad offset
// pointers.
//
// Syscalls: open, write, sendfile, pipe, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/sendfile.h>

int main(void) {
  SCRATCH_ENTER();
  int in = CHECK_OK(open(scratch("in"), O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(in, "data", 4), 4);
  int wronly = CHECK_OK(open(scratch("in"), O_WRONLY));
  int rdonly = CHECK_OK(open(scratch("in"), O_RDONLY));
  int p[2];
  CHECK_OK(pipe(p));
  off_t off = 0;
  CHECK_ERR(sendfile(p[1], wronly, &off, 4), EBADF);  // in not readable
  CHECK_ERR(sendfile(rdonly, in, &off, 4), EBADF);    // out not writable
  CHECK_ERR(sendfile(p[1], -1, &off, 4), EBADF);
  CHECK_ERR(sendfile(-1, in, &off, 4), EBADF);
  off = -1;
  CHECK_ERR(sendfile(p[1], in, &off, 4), EINVAL);
  CHECK_ERR(syscall(SYS_sendfile, p[1], in, (void*)1, 4), EFAULT);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(in));
  CHECK_OK(close(wronly));
  CHECK_OK(close(rdonly));
  CHECK_OK(unlink(scratch("in")));
  SCRATCH_LEAVE();
  return 0;
}
