// statx fills the fields asked for (type, mode, size, ino) like fstat; reserved mask bits are
// EINVAL.
//
// Syscalls: statx, open, write, fstat, close, unlink, mkdir, rmdir, getpid
#include "check.h"

#include <fcntl.h>
#include <stdint.h>

// musl 1.2.3 has no statx wrapper or struct: the kernel's layout (include/uapi/linux/stat.h).
struct kstatx_timestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};
struct kstatx {
  uint32_t stx_mask, stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink, stx_uid, stx_gid;
  uint16_t stx_mode, spare0;
  uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
  struct kstatx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  uint64_t spare2[14];
};
enum {
  kStatxType = 0x1,
  kStatxMode = 0x2,
  kStatxNlink = 0x4,
  kStatxIno = 0x100,
  kStatxSize = 0x200,
  kStatxBasicStats = 0x7ff,
  kStatxReserved = 0x80000000u,
};

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0600));
  CHECK_EQ(write(fd, "statx!", 6), 6);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  struct kstatx sx;
  memset(&sx, 0, sizeof sx);
  CHECK_OK(syscall(SYS_statx, AT_FDCWD, scratch("f"), 0, kStatxBasicStats, &sx));
  uint32_t want = kStatxType | kStatxMode | kStatxNlink | kStatxIno | kStatxSize;
  CHECK_EQ(sx.stx_mask & want, want);
  CHECK(S_ISREG(sx.stx_mode));
  CHECK_EQ(sx.stx_mode & 07777, 0600);
  CHECK_EQ(sx.stx_size, 6);
  CHECK_EQ(sx.stx_nlink, 1);
  CHECK_EQ(sx.stx_ino, st.st_ino);
  CHECK_EQ(sx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
  CHECK_EQ(sx.stx_mtime.tv_nsec, st.st_mtim.tv_nsec);
  // By fd with AT_EMPTY_PATH.
  memset(&sx, 0, sizeof sx);
  CHECK_OK(syscall(SYS_statx, fd, "", AT_EMPTY_PATH, kStatxSize, &sx));
  CHECK_EQ(sx.stx_size, 6);
  CHECK_ERR(syscall(SYS_statx, AT_FDCWD, scratch("f"), 0, kStatxReserved, &sx), EINVAL);
  CHECK_ERR(syscall(SYS_statx, AT_FDCWD, scratch("f"), 0x40000000, kStatxSize, &sx), EINVAL);
  CHECK_ERR(syscall(SYS_statx, AT_FDCWD, scratch("missing"), 0, kStatxSize, &sx), ENOENT);
  CHECK_ERR(syscall(SYS_statx, AT_FDCWD, scratch("f"), 0, kStatxSize, (void*)1), EFAULT);
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
