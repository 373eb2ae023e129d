// prlimit64/getrlimit report soft <= hard limits; invalid resources and pointers fail.
//
// Syscalls: prlimit64, getpid
#include "check.h"

#include <sys/resource.h>

int main(void) {
  static const int kResources[] = {RLIMIT_STACK, RLIMIT_NOFILE, RLIMIT_AS,
                                   RLIMIT_DATA,  RLIMIT_CORE,   RLIMIT_NPROC};
  for (unsigned i = 0; i < sizeof kResources / sizeof kResources[0]; i++) {
    struct rlimit r, p;
    CHECK_OK(getrlimit(kResources[i], &r));
    CHECK(r.rlim_cur <= r.rlim_max);
    CHECK_OK(syscall(SYS_prlimit64, 0, kResources[i], NULL, &p));
    CHECK_EQ(p.rlim_cur, r.rlim_cur);
    CHECK_EQ(p.rlim_max, r.rlim_max);
    CHECK_OK(syscall(SYS_prlimit64, getpid(), kResources[i], NULL, &p));
    CHECK_EQ(p.rlim_cur, r.rlim_cur);
  }
  struct rlimit stack, files;
  CHECK_OK(getrlimit(RLIMIT_STACK, &stack));
  CHECK(stack.rlim_cur >= 64 * 1024);
  CHECK_OK(getrlimit(RLIMIT_NOFILE, &files));
  CHECK(files.rlim_cur >= 3);
  // Setting a limit to what it is returns the old one.
  struct rlimit old;
  CHECK_OK(syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &old));
  struct rlimit same = old, before;
  CHECK_OK(syscall(SYS_prlimit64, 0, RLIMIT_CORE, &same, &before));
  CHECK_EQ(before.rlim_cur, old.rlim_cur);
  struct rlimit r;
  CHECK_ERR(syscall(SYS_prlimit64, 0, 1000, NULL, &r), EINVAL);
  CHECK_ERR(syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, (void*)1), EFAULT);
  CHECK_ERR(syscall(SYS_prlimit64, 0x7ffffff0, RLIMIT_STACK, NULL, &r), ESRCH);
  return 0;
}
