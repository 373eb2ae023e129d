// A pipe connects a parent and a forked child both ways; a blocked read waits for the writer.
//
// Syscalls: pipe, fork, read, write, close, wait4, rt_sigprocmask, gettid
#include "check.h"

int main(void) {
  int down[2], up[2];
  CHECK_OK(pipe(down));
  CHECK_OK(pipe(up));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    close(down[1]);
    close(up[0]);
    // Echo every byte back incremented, until end of file.
    char c;
    long n;
    while ((n = read(down[0], &c, 1)) == 1) {
      c++;
      if (write(up[1], &c, 1) != 1) _exit(2);
    }
    _exit(n == 0 ? 0 : 3);
  }
  CHECK_OK(close(down[0]));
  CHECK_OK(close(up[1]));
  for (char c = 'a'; c < 'z'; c++) {
    CHECK_EQ(write(down[1], &c, 1), 1);
    char r;
    CHECK_EQ(read(up[0], &r, 1), 1);  // blocks until the child answers
    CHECK_EQ(r, c + 1);
  }
  CHECK_OK(close(down[1]));
  char r;
  CHECK_EQ(read(up[0], &r, 1), 0);  // the child closed its end by exiting
  CHECK_EXITED(wait_child(child), 0);
  CHECK_OK(close(up[0]));
  return 0;
}
