// poll on pipes: POLLOUT on an empty pipe, POLLIN once written, POLLHUP after the writer closes.
//
// Syscalls: pipe, poll, write, read, close
#include "check.h"

#include <poll.h>

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  struct pollfd fds[2] = {{p[0], POLLIN, -1}, {p[1], POLLOUT, -1}};
  CHECK_EQ(poll(fds, 2, 0), 1);
  CHECK_EQ(fds[0].revents, 0);
  CHECK_EQ(fds[1].revents, POLLOUT);
  CHECK_EQ(write(p[1], "x", 1), 1);
  CHECK_EQ(poll(fds, 2, 0), 2);
  CHECK_EQ(fds[0].revents, POLLIN);
  // Data is still there until read.
  CHECK_EQ(poll(fds, 1, -1), 1);
  char c;
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_EQ(poll(fds, 1, 0), 0);
  // The writer goes away: the reader sees POLLHUP (without asking for it).
  CHECK_OK(close(p[1]));
  fds[0].events = POLLIN;
  CHECK_EQ(poll(fds, 1, -1), 1);
  CHECK(fds[0].revents & POLLHUP);
  // A closed fd is POLLNVAL; a negative one is skipped.
  struct pollfd bad[2] = {{p[1], POLLIN, 0}, {-1, POLLIN, 7}};
  CHECK_EQ(poll(bad, 2, 0), 1);
  CHECK_EQ(bad[0].revents, POLLNVAL);
  CHECK_EQ(bad[1].revents, 0);
  CHECK_ERR(syscall(SYS_poll, (void*)1, 1, 0), EFAULT);
  CHECK_ERR(syscall(SYS_poll, fds, 1L << 30, 0), EINVAL);  // more than RLIMIT_NOFILE
  CHECK_OK(close(p[0]));
  return 0;
}
