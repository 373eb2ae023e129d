// /dev/zero reads as zeros (any amount) and accepts writes.
//
// Syscalls: open, read, write, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int fd = CHECK_OK(open("/dev/zero", O_RDWR));
  static unsigned char buf[100000];
  memset(buf, 0xee, sizeof buf);
  CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
  for (unsigned i = 0; i < sizeof buf; i++)
    CHECK_EQ(buf[i], 0);
  CHECK_EQ(write(fd, "abc", 3), 3);
  CHECK_EQ(read(fd, buf, 0), 0);
  CHECK_ERR(syscall(SYS_read, fd, (void*)1, 10), EFAULT);
  CHECK_OK(close(fd));
  return 0;
}
