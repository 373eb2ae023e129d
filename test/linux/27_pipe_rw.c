// A pipe carries bytes in order; a read returns what is there (up to its size), never more.
//
// Syscalls: pipe, write, read, close
#include "check.h"

int main(void) {
  int p[2] = {-1, -1};
  CHECK_OK(pipe(p));
  CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
  CHECK_EQ(write(p[1], "hello ", 6), 6);
  CHECK_EQ(write(p[1], "pipe", 4), 4);
  char buf[64];
  CHECK_EQ(read(p[0], buf, 3), 3);
  CHECK(memcmp(buf, "hel", 3) == 0);
  CHECK_EQ(read(p[0], buf, sizeof buf), 7);
  CHECK(memcmp(buf, "lo pipe", 7) == 0);
  // The read end is not writable, the write end not readable.
  CHECK_ERR(write(p[0], "x", 1), EBADF);
  CHECK_ERR(read(p[1], buf, 1), EBADF);
  // 64 KiB through the pipe, 4 KiB (PIPE_BUF) at a time, each read back in 1000-byte pieces: no
  // more is ever in the pipe than POSIX promises it holds.
  static char big[65536], back[65536];
  for (unsigned i = 0; i < sizeof big; i++)
    big[i] = (char)(i * 13);
  int got = 0;
  for (int off = 0; off < 65536; off += 4096) {
    CHECK_EQ(write(p[1], big + off, 4096), 4096);
    while (got < off + 4096) {
      long n = CHECK_OK(read(p[0], back + got, got + 1000 <= off + 4096 ? 1000 : off + 4096 - got));
      CHECK(n > 0);
      got += (int)n;
    }
  }
  CHECK(memcmp(big, back, sizeof big) == 0);
  CHECK_ERR(syscall(SYS_pipe, (void*)1), EFAULT);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
