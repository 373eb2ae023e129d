// /proc/self/fd lists the open fds; each entry is a symlink to the file's path (or "pipe:[N]").
//
// Syscalls: open, fcntl, pipe, readlink, getdents64, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Whether /proc/self/fd has an entry named fd.
static int listed(int fd) {
  int dfd = CHECK_OK(open("/proc/self/fd", O_RDONLY | O_DIRECTORY));
  long long buf[512];
  long n;
  int found = 0;
  while ((n = CHECK_OK(syscall(SYS_getdents64, dfd, buf, sizeof buf))) > 0) {
    for (long off = 0; off < n;) {
      struct linux_dirent64* e = (struct linux_dirent64*)((char*)buf + off);
      if (atoi(e->d_name) == fd && e->d_name[0] >= '0' && e->d_name[0] <= '9') found = 1;
      off += e->d_reclen;
    }
  }
  CHECK_OK(close(dfd));
  return found;
}

int main(void) {
  SCRATCH_ENTER();
  // At a high number, so that the directory listing's own fd cannot take it once it is closed.
  int low = CHECK_OK(open(scratch("named"), O_CREAT | O_WRONLY, 0644));
  int fd = CHECK_OK(fcntl(low, F_DUPFD, 40));
  CHECK_OK(close(low));
  char link[64], target[512];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  long n = CHECK_OK(readlink(link, target, sizeof target - 1));
  target[n] = 0;
  // The path may be spelled through fewer symlinks than ours: compare the last component.
  const char* tail = strrchr(target, '/');
  CHECK(tail != NULL);
  CHECK_STR(tail, "/named");
  CHECK(listed(fd));
  int p[2];
  CHECK_OK(pipe(p));
  snprintf(link, sizeof link, "/proc/self/fd/%d", p[0]);
  n = CHECK_OK(readlink(link, target, sizeof target - 1));
  target[n] = 0;
  CHECK(strncmp(target, "pipe:[", 6) == 0);
  CHECK_OK(close(fd));
  CHECK(!listed(fd));
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  CHECK_ERR(readlink(link, target, sizeof target), ENOENT);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(unlink(scratch("named")));
  SCRATCH_LEAVE();
  return 0;
}
