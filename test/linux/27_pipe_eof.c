// After every write end is closed, reads drain what is left and then return 0 (end of file).
//
// Syscalls: pipe, write, dup, close, read
#include "check.h"

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  int w2 = CHECK_OK(dup(p[1]));
  CHECK_EQ(write(p[1], "last", 4), 4);
  CHECK_OK(close(p[1]));
  char buf[8];
  CHECK_EQ(read(p[0], buf, sizeof buf), 4);
  // One write end is still open (the dup): the pipe is not at its end yet.
  CHECK_EQ(write(w2, "!", 1), 1);
  CHECK_OK(close(w2));
  CHECK_EQ(read(p[0], buf, sizeof buf), 1);
  CHECK_EQ(buf[0], '!');
  CHECK_EQ(read(p[0], buf, sizeof buf), 0);
  CHECK_EQ(read(p[0], buf, sizeof buf), 0);
  CHECK_OK(close(p[0]));
  return 0;
}
