// uname says Linux on x86_64 with a release string; a bad buffer gives EFAULT.
//
// Syscalls: uname
#include "check.h"

#include <sys/utsname.h>

int main(void) {
  struct utsname u;
  memset(&u, 0x55, sizeof u);
  CHECK_OK(uname(&u));
  CHECK_STR(u.sysname, "Linux");
  CHECK_STR(u.machine, "x86_64");
  // Every field is NUL-terminated inside its 65 bytes.
  CHECK(memchr(u.nodename, 0, sizeof u.nodename) != NULL);
  CHECK(memchr(u.release, 0, sizeof u.release) != NULL);
  CHECK(memchr(u.version, 0, sizeof u.version) != NULL);
  // Programs parse the release as "major.minor...": it starts with a digit and has a dot.
  CHECK(u.release[0] >= '1' && u.release[0] <= '9');
  CHECK(strchr(u.release, '.') != NULL);
  CHECK_ERR(syscall(SYS_uname, (void*)1), EFAULT);
  CHECK_ERR(syscall(SYS_uname, NULL), EFAULT);
  return 0;
}
