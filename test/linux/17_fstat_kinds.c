// fstat tells a pipe (FIFO), a character device and a directory apart; bad fds and buffers fail.
//
// Syscalls: pipe, open, fstat, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  struct stat st;
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_OK(fstat(p[0], &st));
  CHECK(S_ISFIFO(st.st_mode));
  CHECK_OK(fstat(p[1], &st));
  CHECK(S_ISFIFO(st.st_mode));
  int null = CHECK_OK(open("/dev/null", O_RDWR));
  CHECK_OK(fstat(null, &st));
  CHECK(S_ISCHR(st.st_mode));
  CHECK_EQ(st.st_size, 0);
  int root = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
  CHECK_OK(fstat(root, &st));
  CHECK(S_ISDIR(st.st_mode));
  CHECK_ERR(syscall(SYS_fstat, null, (void*)1), EFAULT);
  CHECK_OK(close(root));
  CHECK_OK(close(null));
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  // Raw: musl answers fstat(-1) itself and retries a closed fd through fcntl.
  CHECK_ERR(syscall(SYS_fstat, p[0], &st), EBADF);
  CHECK_ERR(syscall(SYS_fstat, -1, &st), EBADF);
  return 0;
}
