// pread64/pwrite64 use their own offset and leave the fd's offset alone; ESPIPE, EINVAL otherwise.
//
// Syscalls: open, pwrite64, pread64, lseek, write, close, pipe, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("f");
  int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
  CHECK_EQ(pwrite(fd, "AB", 2, 5), 2);
  char buf[16];
  CHECK_EQ(pread(fd, buf, 4, 4), 4);
  CHECK(memcmp(buf, "4AB7", 4) == 0);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
  // Past the end: pread returns 0, pwrite extends.
  CHECK_EQ(pread(fd, buf, 4, 50), 0);
  CHECK_EQ(pwrite(fd, "Z", 1, 12), 1);
  CHECK_EQ(pread(fd, buf, 16, 8), 5);
  CHECK(memcmp(buf, "89\0\0Z", 5) == 0);
  CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
  CHECK_ERR(pwrite(fd, "x", 1, -1), EINVAL);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
  CHECK_OK(close(fd));
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(pwrite(p[1], "x", 1, 0), ESPIPE);
  CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
