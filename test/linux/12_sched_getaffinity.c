// sched_getaffinity returns the mask size in bytes with at least one CPU set; bad sizes fail.
//
// Syscalls: sched_getaffinity, getpid
#include "check.h"

#include <sched.h>

int main(void) {
  unsigned long mask[16];
  memset(mask, 0, sizeof mask);
  long n = CHECK_OK(syscall(SYS_sched_getaffinity, 0, sizeof mask, mask));
  CHECK(n > 0 && n <= (long)sizeof mask && n % (long)sizeof(long) == 0);
  int cpus = 0;
  for (long i = 0; i < n / (long)sizeof(long); i++)
    cpus += __builtin_popcountl(mask[i]);
  CHECK(cpus >= 1);
  cpu_set_t set;
  CHECK_OK(sched_getaffinity(getpid(), sizeof set, &set));
  CHECK_EQ(CPU_COUNT(&set), cpus);
  // Not a multiple of sizeof(long): EINVAL.
  CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 3, mask), EINVAL);
  CHECK_ERR(syscall(SYS_sched_getaffinity, 0, sizeof mask, (void*)1), EFAULT);
  CHECK_ERR(syscall(SYS_sched_getaffinity, 0x7ffffff0, sizeof mask, mask), ESRCH);
  return 0;
}
