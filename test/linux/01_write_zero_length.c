// A zero-length write returns 0 and writes nothing, even with a NULL buffer.
//
// Syscalls: write, pipe, read, close
#include "check.h"

int main(void) {
  char c = 'x';
  CHECK_EQ(write(1, &c, 0), 0);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(syscall(SYS_write, p[1], NULL, 0), 0);
  CHECK_EQ(write(p[1], &c, 0), 0);
  CHECK_EQ(write(p[1], "y", 1), 1);
  CHECK_OK(close(p[1]));
  // Only the one real byte is in the pipe, then end of file.
  char buf[4];
  CHECK_EQ(read(p[0], buf, sizeof buf), 1);
  CHECK_EQ(buf[0], 'y');
  CHECK_EQ(read(p[0], buf, sizeof buf), 0);
  CHECK_OK(close(p[0]));
  return 0;
}
