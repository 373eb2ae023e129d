// getdents64 lists ".", ".." and every entry once, with its type and inode number.
//
// Syscalls: mkdir, open, close, symlink, stat, getdents64, unlink, rmdir, getpid
#include "check.h"

#include <fcntl.h>

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  CHECK_OK(mkdir(scratch("d/sub"), 0755));
  int fd = CHECK_OK(open(scratch("d/file"), O_CREAT | O_WRONLY, 0644));
  CHECK_OK(close(fd));
  CHECK_OK(symlink("file", scratch("d/link")));
  struct stat file_st;
  CHECK_OK(stat(scratch("d/file"), &file_st));

  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  int seen_dot = 0, seen_dotdot = 0, seen_sub = 0, seen_file = 0, seen_link = 0;
  long long buf[512];  // aligned for the records
  long n;
  while ((n = CHECK_OK(syscall(SYS_getdents64, dfd, buf, sizeof buf))) > 0) {
    for (long off = 0; off < n;) {
      struct linux_dirent64* e = (struct linux_dirent64*)((char*)buf + off);
      CHECK(e->d_reclen > 0 && e->d_reclen % 8 == 0 && off + e->d_reclen <= n);
      CHECK(e->d_ino != 0);
      // Ext4 and tmpfs report a type; DT_UNKNOWN is allowed by the interface.
      const char* name = e->d_name;
      int type = e->d_type;
      if (strcmp(name, ".") == 0) {
        seen_dot++;
        CHECK(type == DT_DIR || type == DT_UNKNOWN);
      } else if (strcmp(name, "..") == 0) {
        seen_dotdot++;
        CHECK(type == DT_DIR || type == DT_UNKNOWN);
      } else if (strcmp(name, "sub") == 0) {
        seen_sub++;
        CHECK(type == DT_DIR || type == DT_UNKNOWN);
      } else if (strcmp(name, "file") == 0) {
        seen_file++;
        CHECK(type == DT_REG || type == DT_UNKNOWN);
        CHECK_EQ(e->d_ino, file_st.st_ino);
      } else if (strcmp(name, "link") == 0) {
        seen_link++;
        CHECK(type == DT_LNK || type == DT_UNKNOWN);
      } else {
        FAIL("unexpected entry \"%s\"", name);
      }
      off += e->d_reclen;
    }
  }
  CHECK(seen_dot == 1 && seen_dotdot == 1 && seen_sub == 1 && seen_file == 1 && seen_link == 1);
  // At the end it stays at the end.
  CHECK_EQ(syscall(SYS_getdents64, dfd, buf, sizeof buf), 0);
  CHECK_OK(close(dfd));
  CHECK_OK(unlink(scratch("d/link")));
  CHECK_OK(unlink(scratch("d/file")));
  CHECK_OK(rmdir(scratch("d/sub")));
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
