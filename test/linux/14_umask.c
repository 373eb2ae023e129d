// umask returns the previous mask (only the 0777 bits) and masks the mode of new files.
//
// Syscalls: umask, open, fstat, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  mode_t old = umask(022);
  CHECK_EQ(umask(027), 022);
  CHECK_EQ(umask(0), 027);
  CHECK_EQ(syscall(SYS_umask, 07777), 0);
  CHECK_EQ(syscall(SYS_umask, 077), 0777);  // only the permission bits are kept
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_WRONLY, 0666));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_mode & 07777, 0600);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  CHECK_EQ(umask(022), 077);
  fd = CHECK_OK(open(scratch("g"), O_CREAT | O_WRONLY, 0777));
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_mode & 07777, 0755);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("g")));
  umask(old);
  SCRATCH_LEAVE();
  return 0;
}
