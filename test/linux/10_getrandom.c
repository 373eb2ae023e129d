// getrandom fills the whole buffer with bytes that differ between calls; bad flags or buffers fail.
//
// Syscalls: getrandom
#include "check.h"

#include <sys/random.h>

int main(void) {
  unsigned char a[64], b[64];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  CHECK_EQ(syscall(SYS_getrandom, a, sizeof a, 0), sizeof a);
  CHECK_EQ(syscall(SYS_getrandom, b, sizeof b, GRND_NONBLOCK), sizeof b);
  // 512 random bits each: equal, or all zero, only if getrandom did not work.
  CHECK(memcmp(a, b, sizeof a) != 0);
  int nonzero = 0;
  for (unsigned i = 0; i < sizeof a; i++)
    nonzero += a[i] != 0;
  CHECK(nonzero > 32);
  long n = CHECK_OK(syscall(SYS_getrandom, a, sizeof a, GRND_RANDOM | GRND_NONBLOCK));
  CHECK(n > 0 && n <= (long)sizeof a);
  CHECK_EQ(syscall(SYS_getrandom, a, 0, 0), 0);
  CHECK_ERR(syscall(SYS_getrandom, a, sizeof a, 0x1000), EINVAL);
  CHECK_ERR(syscall(SYS_getrandom, (void*)1, 16, 0), EFAULT);
  return 0;
}
