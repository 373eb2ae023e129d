// read and readv of a pipe return all it holds up to the count (more than a page, across buffers)
// and do not wait for more.
//
// Syscalls: pipe2, pipe, write, read, readv, close
#include "check.h"

#include <fcntl.h>
#include <sys/uio.h>

static char out[12000], in[16000];

int main(void) {
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (char)('a' + i % 23);
  // Non-blocking, so that more than PIPE_BUF bytes can wait in it without a reader.
  int p[2];
  CHECK_OK(pipe2(p, O_NONBLOCK));
  CHECK_EQ(write(p[1], out, 10000), 10000);
  CHECK_EQ(read(p[0], in, sizeof in), 10000);
  CHECK(memcmp(in, out, 10000) == 0);
  CHECK_ERR(read(p[0], in, sizeof in), EAGAIN);
  // readv: the buffers are filled in order with what the pipe holds, the last one partly.
  CHECK_EQ(write(p[1], out, 9000), 9000);
  memset(in, 0, sizeof in);
  struct iovec iov[4] = {{in, 100}, {in + 1000, 0}, {in + 2000, 5000}, {in + 8000, 8000}};
  CHECK_EQ(readv(p[0], iov, 4), 9000);
  CHECK(memcmp(in, out, 100) == 0);
  CHECK(memcmp(in + 2000, out + 100, 5000) == 0);
  CHECK(memcmp(in + 8000, out + 5100, 3900) == 0);
  CHECK_EQ(in[8000 + 3900], 0);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));

  // A blocking pipe: what is there is the answer; the buffers after it are not waited for.
  CHECK_OK(pipe(p));
  CHECK_EQ(write(p[1], out, 150), 150);
  struct iovec two[2] = {{in, 100}, {in + 100, 100}};
  CHECK_EQ(readv(p[0], two, 2), 150);
  CHECK(memcmp(in, out, 150) == 0);
  CHECK_EQ(write(p[1], out + 150, 100), 100);
  CHECK_EQ(readv(p[0], two, 2), 100);
  CHECK(memcmp(in, out + 150, 100) == 0);
  CHECK_EQ(write(p[1], out, 3000), 3000);
  CHECK_EQ(read(p[0], in, sizeof in), 3000);
  // With no writer left: what is there, then end of file.
  CHECK_EQ(write(p[1], out, 10), 10);
  CHECK_OK(close(p[1]));
  CHECK_EQ(readv(p[0], two, 2), 10);
  CHECK_EQ(readv(p[0], two, 2), 0);
  CHECK_ERR(readv(p[0], two, -1), EINVAL);
  CHECK_ERR(readv(p[1], two, 2), EBADF);
  CHECK_OK(close(p[0]));
  return 0;
}
