// The uid/gid family agrees with itself (getres*id, e*id) and rejects bad pointers with EFAULT.
//
// Syscalls: getuid, geteuid, getgid, getegid, getresuid, getresgid, getgroups
#include "check.h"

int main(void) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  CHECK_OK(syscall(SYS_getresuid, &r, &e, &s));
  CHECK_OK(syscall(SYS_getresgid, &gr, &ge, &gs));
  CHECK_EQ(syscall(SYS_getuid), r);
  CHECK_EQ(syscall(SYS_geteuid), e);
  CHECK_EQ(syscall(SYS_getgid), gr);
  CHECK_EQ(syscall(SYS_getegid), ge);
  // Not a set-id program: real, effective and saved ids are the same.
  CHECK_EQ(e, r);
  CHECK_EQ(s, r);
  CHECK_EQ(ge, gr);
  CHECK_EQ(gs, gr);
  CHECK_ERR(syscall(SYS_getresuid, (void*)1, &e, &s), EFAULT);
  CHECK_ERR(syscall(SYS_getresgid, &gr, &ge, NULL), EFAULT);
  long n = CHECK_OK(syscall(SYS_getgroups, 0, NULL));
  CHECK(n >= 0 && n <= 65536);
  CHECK_ERR(syscall(SYS_getgroups, -1, NULL), EINVAL);
  return 0;
}
