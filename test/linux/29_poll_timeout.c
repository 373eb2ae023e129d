// poll with nothing ready waits at least its timeout and returns 0; a writer in a child wakes it.
//
// Syscalls: pipe, poll, clock_gettime, fork, write, read, wait4, close, rt_sigprocmask, gettid
#include "check.h"

#include <poll.h>
#include <time.h>

static long long mono_ms(void) {
  struct timespec ts;
  if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0) FAIL("clock_gettime");
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  struct pollfd pfd = {p[0], POLLIN, 0};
  long long t0 = mono_ms();
  CHECK_EQ(poll(&pfd, 1, 100), 0);
  CHECK(mono_ms() - t0 >= 100 - 1);  // whole milliseconds: allow the rounding
  CHECK_EQ(pfd.revents, 0);
  // No fds at all: a plain sleep.
  t0 = mono_ms();
  CHECK_EQ(poll(NULL, 0, 50), 0);
  CHECK(mono_ms() - t0 >= 50 - 1);
  // An infinite wait ends when another process writes.
  pid_t child = CHECK_OK(fork());
  if (child == 0) _exit(write(p[1], "w", 1) == 1 ? 0 : 1);
  CHECK_EQ(poll(&pfd, 1, -1), 1);
  CHECK_EQ(pfd.revents, POLLIN);
  char c;
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
