// getdents64 with a buffer for about one record resumes where it stopped: all 40 names, once each.
//
// Syscalls: mkdir, open, close, getdents64, lseek, unlink, rmdir, getpid
#include "check.h"

#include <fcntl.h>

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

enum { kFiles = 40 };

// Reads the whole directory with a small buffer; counts each "fNN" name into seen[NN].
static int list(int dfd, int* seen) {
  long long buf[5];  // 40 bytes: one record of a short name
  int records = 0;
  long n;
  while ((n = CHECK_OK(syscall(SYS_getdents64, dfd, buf, sizeof buf))) > 0) {
    for (long off = 0; off < n;) {
      struct linux_dirent64* e = (struct linux_dirent64*)((char*)buf + off);
      int i;
      if (sscanf(e->d_name, "f%d", &i) == 1 && i >= 0 && i < kFiles) seen[i]++;
      records++;
      off += e->d_reclen;
    }
  }
  return records;
}

int main(void) {
  SCRATCH_ENTER();
  CHECK_OK(mkdir(scratch("d"), 0755));
  for (int i = 0; i < kFiles; i++) {
    char name[16];
    snprintf(name, sizeof name, "d/f%d", i);
    CHECK_OK(close(CHECK_OK(open(scratch(name), O_CREAT | O_WRONLY, 0644))));
  }
  int dfd = CHECK_OK(open(scratch("d"), O_RDONLY | O_DIRECTORY));
  int seen[kFiles] = {0};
  CHECK_EQ(list(dfd, seen), kFiles + 2);
  for (int i = 0; i < kFiles; i++)
    CHECK_EQ(seen[i], 1);
  // Rewinding starts the listing again.
  CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0);
  CHECK_EQ(list(dfd, seen), kFiles + 2);
  for (int i = 0; i < kFiles; i++)
    CHECK_EQ(seen[i], 2);
  CHECK_OK(close(dfd));
  for (int i = 0; i < kFiles; i++) {
    char name[16];
    snprintf(name, sizeof name, "d/f%d", i);
    CHECK_OK(unlink(scratch(name)));
  }
  CHECK_OK(rmdir(scratch("d")));
  SCRATCH_LEAVE();
  return 0;
}
