// ioctl(FIONBIO) switches O_NONBLOCK on and off, as F_GETFL then shows.
//
// Syscalls: pipe, ioctl, fcntl, read, close
#include "check.h"

#include <fcntl.h>
#include <sys/ioctl.h>

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  int on = 1, off = 0;
  CHECK_OK(ioctl(p[0], FIONBIO, &on));
  CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
  char c;
  CHECK_ERR(read(p[0], &c, 1), EAGAIN);
  CHECK_OK(ioctl(p[0], FIONBIO, &off));
  CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
  CHECK_ERR(ioctl(p[0], FIONBIO, (void*)1), EFAULT);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
