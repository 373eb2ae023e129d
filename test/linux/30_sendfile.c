// sendfile copies from a file to a pipe or file: from the file offset, or from *offset (updated
// instead).
//
// Syscalls: open, write, lseek, sendfile, pipe, read, pread64, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <sys/sendfile.h>

int main(void) {
  SCRATCH_ENTER();
  int in = CHECK_OK(open(scratch("in"), O_CREAT | O_RDWR, 0644));
  static char data[20000];
  for (unsigned i = 0; i < sizeof data; i++)
    data[i] = (char)(i % 241);
  CHECK_EQ(write(in, data, sizeof data), sizeof data);
  // To a file, using and advancing in's offset.
  CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
  int out = CHECK_OK(open(scratch("out"), O_CREAT | O_RDWR, 0644));
  long total = 0;
  while (total < (long)sizeof data) {
    long n = CHECK_OK(sendfile(out, in, NULL, sizeof data));
    CHECK(n > 0);
    total += n;
  }
  CHECK_EQ(lseek(in, 0, SEEK_CUR), sizeof data);
  CHECK_EQ(sendfile(out, in, NULL, 100), 0);  // at the end of in
  static char back[20000];
  CHECK_EQ(pread(out, back, sizeof back, 0), sizeof back);
  CHECK(memcmp(back, data, sizeof data) == 0);
  // To a pipe, from an explicit offset: in's own offset is left alone.
  int p[2];
  CHECK_OK(pipe(p));
  off_t off = 1000;
  CHECK_EQ(lseek(in, 5, SEEK_SET), 5);
  CHECK_EQ(sendfile(p[1], in, &off, 300), 300);
  CHECK_EQ(off, 1300);
  CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);
  CHECK_EQ(read(p[0], back, sizeof back), 300);
  CHECK(memcmp(back, data + 1000, 300) == 0);
  // Past the end: nothing.
  off = sizeof data + 10;
  CHECK_EQ(sendfile(p[1], in, &off, 10), 0);
  CHECK_EQ(sendfile(p[1], in, NULL, 0), 0);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(in));
  CHECK_OK(close(out));
  CHECK_OK(unlink(scratch("in")));
  CHECK_OK(unlink(scratch("out")));
  SCRATCH_LEAVE();
  return 0;
}
