// /dev/full refuses writes with ENOSPC and reads as zeros.
//
// Syscalls: open, write, read, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int fd = CHECK_OK(open("/dev/full", O_RDWR));
  CHECK_ERR(write(fd, "x", 1), ENOSPC);
  unsigned char buf[64];
  memset(buf, 0xee, sizeof buf);
  CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
  for (unsigned i = 0; i < sizeof buf; i++)
    CHECK_EQ(buf[i], 0);
  CHECK_OK(close(fd));
  return 0;
}
