// /proc/self/exe is a symlink to this program's absolute path: the same file as opening the link.
//
// Syscalls: readlink, stat, open, fstat, read, close
#include "check.h"

#include <fcntl.h>

int main(void) {
  char path[512];
  memset(path, 0, sizeof path);
  long n = CHECK_OK(readlink("/proc/self/exe", path, sizeof path - 1));
  CHECK(n > 1);
  CHECK_EQ(path[0], '/');
  CHECK_EQ(strlen(path), n);
  struct stat by_name, by_link, by_fd;
  CHECK_OK(stat(path, &by_name));
  CHECK_OK(stat("/proc/self/exe", &by_link));
  CHECK_EQ(by_name.st_ino, by_link.st_ino);
  CHECK_EQ(by_name.st_dev, by_link.st_dev);
  CHECK(S_ISREG(by_name.st_mode));
  CHECK(by_name.st_mode & 0111);
  int fd = CHECK_OK(open("/proc/self/exe", O_RDONLY));
  CHECK_OK(fstat(fd, &by_fd));
  CHECK_EQ(by_fd.st_ino, by_name.st_ino);
  // It is an ELF file.
  char magic[4];
  CHECK_EQ(read(fd, magic, 4), 4);
  CHECK(memcmp(magic, "\177ELF", 4) == 0);
  CHECK_OK(close(fd));
  return 0;
}
