// utimensat sets access and modification times exactly, honours UTIME_OMIT/UTIME_NOW; bad nsec is
// EINVAL.
//
// Syscalls: open, close, utimensat, stat, clock_gettime, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <time.h>

int main(void) {
  SCRATCH_ENTER();
  const char* path = scratch("f");
  CHECK_OK(close(CHECK_OK(open(path, O_CREAT | O_WRONLY, 0644))));
  struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
  CHECK_OK(syscall(SYS_utimensat, AT_FDCWD, path, ts, 0));
  struct stat st;
  CHECK_OK(stat(path, &st));
  CHECK_EQ(st.st_atim.tv_sec, 1000000000);
  CHECK_EQ(st.st_atim.tv_nsec, 123456789);
  CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
  CHECK_EQ(st.st_mtim.tv_nsec, 987654321);
  // Leave atime, set mtime to now.
  struct timespec before;
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &before));
  struct timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  CHECK_OK(syscall(SYS_utimensat, AT_FDCWD, path, omit_now, 0));
  CHECK_OK(stat(path, &st));
  CHECK_EQ(st.st_atim.tv_sec, 1000000000);
  CHECK(st.st_mtim.tv_sec >= before.tv_sec - 1);
  // NULL times: both now.
  CHECK_OK(syscall(SYS_utimensat, AT_FDCWD, path, NULL, 0));
  CHECK_OK(stat(path, &st));
  CHECK(st.st_atim.tv_sec >= before.tv_sec - 1);
  // By fd (a NULL name).
  int fd = CHECK_OK(open(path, O_RDONLY));
  CHECK_OK(syscall(SYS_utimensat, fd, NULL, ts, 0));
  CHECK_OK(stat(path, &st));
  CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
  CHECK_OK(close(fd));
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, path, bad, 0), EINVAL);
  CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, path, ts, 0x4000), EINVAL);
  CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, scratch("missing"), ts, 0), ENOENT);
  CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, path, (void*)1, 0), EFAULT);
  CHECK_OK(unlink(path));
  SCRATCH_LEAVE();
  return 0;
}
