// A non-blocking write larger than a pipe's free space writes part, then EAGAIN.
//
// Syscalls: pipe2, write, read, close
#include "check.h"

#include <fcntl.h>

enum { kSize = 1 << 20 };
static char out[kSize], in[kSize];

int main(void) {
  for (int i = 0; i < kSize; i++)
    out[i] = (char)(i * 7 + i / 251);
  int p[2];
  CHECK_OK(pipe2(p, O_NONBLOCK));
  long n = CHECK_OK(write(p[1], out, kSize));
  CHECK(n > 0 && n < kSize);
  CHECK_ERR(write(p[1], out + n, (size_t)(kSize - n)), EAGAIN);
  // Exactly the first n bytes went in, in order.
  long got = 0;
  for (;;) {
    long r = read(p[0], in + got, (size_t)(kSize - got));
    if (r == -1 && errno == EAGAIN) break;
    CHECK(r > 0);
    got += r;
  }
  CHECK_EQ(got, n);
  CHECK(memcmp(in, out, (size_t)n) == 0);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
