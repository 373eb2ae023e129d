// /dev/null swallows every write (returning the full count, without reading the buffer) and
// reads as end of file.
//
// Syscalls: open, write, read, lseek, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int fd = CHECK_OK(open("/dev/null", O_RDWR));
  static char big[1 << 20];
  CHECK_EQ(write(fd, big, sizeof big), sizeof big);
  CHECK_EQ(write(fd, "x", 1), 1);
  // The buffer is never read: an unmapped one is no EFAULT here (Linux's write_null).
  CHECK_EQ(write(fd, (void*)16, 10), 10);
  char buf[16];
  CHECK_EQ(read(fd, buf, sizeof buf), 0);
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  CHECK_EQ(lseek(fd, 1000, SEEK_CUR), 0);  // seeking is allowed and the offset stays 0
  CHECK_OK(close(fd));
  return 0;
}
