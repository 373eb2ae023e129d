// /dev/urandom reads return the full count of bytes that differ from read to read.
//
// Syscalls: open, read, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  int fd = CHECK_OK(open("/dev/urandom", O_RDONLY));
  unsigned char a[256], b[256];
  CHECK_EQ(read(fd, a, sizeof a), sizeof a);
  CHECK_EQ(read(fd, b, sizeof b), sizeof b);
  CHECK(memcmp(a, b, sizeof a) != 0);
  int seen[256] = {0}, distinct = 0;
  for (unsigned i = 0; i < sizeof a; i++)
    distinct += seen[a[i]]++ == 0;
  CHECK(distinct > 64);  // 256 random bytes take about 162 distinct values
  CHECK_OK(close(fd));
  return 0;
}
