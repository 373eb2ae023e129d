// fcntl F_GETFL reports access mode and status flags; F_SETFL changes O_APPEND/O_NONBLOCK, not the
// mode.
//
// Syscalls: open, fcntl, pipe, read, dup, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int fd = CHECK_OK(open("/dev/null", O_WRONLY | O_APPEND));
  int fl = CHECK_OK(fcntl(fd, F_GETFL));
  CHECK_EQ(fl & O_ACCMODE, O_WRONLY);
  CHECK(fl & O_APPEND);
  CHECK(!(fl & O_NONBLOCK));
  // The access mode and creation flags are ignored by F_SETFL.
  CHECK_OK(fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK | O_TRUNC));
  fl = CHECK_OK(fcntl(fd, F_GETFL));
  CHECK_EQ(fl & O_ACCMODE, O_WRONLY);
  CHECK(fl & O_NONBLOCK);
  CHECK(!(fl & O_APPEND));
  // Status flags belong to the open file: a dup sees them.
  int copy = CHECK_OK(dup(fd));
  CHECK(fcntl(copy, F_GETFL) & O_NONBLOCK);
  CHECK_OK(close(copy));
  CHECK_OK(close(fd));
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
  CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
  CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
  char c;
  CHECK_ERR(read(p[0], &c, 1), EAGAIN);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_ERR(fcntl(p[0], F_GETFL), EBADF);
  return 0;
}
