// Terminal ioctls (TCGETS, TIOCGWINSZ) on a pipe, a file or /dev/null fail with ENOTTY.
//
// Syscalls: pipe, open, ioctl, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

static void check_not_a_tty(int fd) {
  struct termios t;
  struct winsize ws;
  CHECK_ERR(ioctl(fd, TCGETS, &t), ENOTTY);
  CHECK_ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
  errno = 0;
  CHECK_EQ(isatty(fd), 0);
  CHECK_EQ(errno, ENOTTY);
}

int main(void) {
  SCRATCH_ENTER();
  int p[2];
  CHECK_OK(pipe(p));
  check_not_a_tty(p[0]);
  check_not_a_tty(p[1]);
  int file = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  check_not_a_tty(file);
  int null = CHECK_OK(open("/dev/null", O_RDWR));
  check_not_a_tty(null);
  struct termios t;
  CHECK_ERR(ioctl(-1, TCGETS, &t), EBADF);
  CHECK_ERR(ioctl(999, TIOCGWINSZ, &t), EBADF);
  CHECK_OK(close(null));
  CHECK_OK(close(file));
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
