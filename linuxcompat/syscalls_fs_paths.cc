// File system calls on names: open, status, access, the working directory, making and removing
// names, links, times, modes and owners. Each copies its paths in (kPathMax at most: longer is
// -ENAMETOOLONG, an unmapped one -EFAULT), finds the directory relative paths start from, and
// hands over to linuxcompat/fs/operations.h.
#include "core/lib/util.h"
#include "linuxcompat/fs/inode.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/syscalls_fs.h"

namespace hmk::lx {
namespace {

using fs::Follow;
using fs::InodeRef;

// `path` from `dirfd`, both copied and checked: the name and where it starts.
int64_t name_at(Task& task, int32_t dirfd, uint64_t path, PathBuffer* name, InodeRef* start) {
  if (int64_t e = copy_path(task, path, name); e != 0) return e;
  return start_of(task, dirfd, name->view(), start);
}

void to_statx(const Stat& st, Statx* x) {
  *x = {};
  x->mask = kStatxBasicStats | kStatxMntId;
  x->blksize = static_cast<uint32_t>(st.blksize);
  x->nlink = static_cast<uint32_t>(st.nlink);
  x->uid = st.uid;
  x->gid = st.gid;
  x->mode = static_cast<uint16_t>(st.mode);
  x->ino = st.ino;
  x->size = static_cast<uint64_t>(st.size);
  x->blocks = static_cast<uint64_t>(st.blocks);
  x->atime = {st.atime.sec, static_cast<uint32_t>(st.atime.nsec), 0};
  x->ctime = {st.ctime.sec, static_cast<uint32_t>(st.ctime.nsec), 0};
  x->mtime = {st.mtime.sec, static_cast<uint32_t>(st.mtime.nsec), 0};
  x->rdev_major = device_major(st.rdev);
  x->rdev_minor = device_minor(st.rdev);
  x->dev_major = device_major(st.dev);
  x->dev_minor = device_minor(st.dev);
  x->mnt_id = device_minor(st.dev);  // one mount per file system
}

// The status of what `path` names from `dirfd` (flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH).
int64_t status_at(Task& task, int32_t dirfd, uint64_t path, uint32_t flags, Stat* out) {
  Target t;
  if (int64_t e = lookup_at(task, dirfd, path, flags, Follow::kYes, &t); e != 0) return e;
  if (t.inode) {
    t.inode->fill_stat(out);
  } else {
    t.file->stat(out);  // AT_EMPTY_PATH on a file without an inode (a pipe)
  }
  return 0;
}

int64_t stat_path(Task& task, uint64_t path, uint64_t statbuf, uint32_t flags) {
  Stat st;
  if (int64_t e = status_at(task, kAtFdcwd, path, flags, &st); e != 0) return e;
  return task.process.mm.copy_out(statbuf, &st, sizeof(st)) ? 0 : -kEFAULT;
}

int64_t access_at(Task& task, int32_t dirfd, uint64_t path, int32_t mode, uint32_t flags) {
  if ((mode & ~static_cast<int32_t>(kROk | kWOk | kXOk)) != 0) return -kEINVAL;
  if ((flags & ~(kAtEaccess | kAtSymlinkNofollow | kAtEmptyPath)) != 0) return -kEINVAL;
  Target t;
  if (int64_t e = lookup_at(task, dirfd, path, flags, Follow::kYes, &t); e != 0) return e;
  return t.inode ? fs::access(t.inode.get(), static_cast<uint32_t>(mode)) : 0;
}

int64_t owner_at(Task& task, int32_t dirfd, uint64_t path, uint32_t owner, uint32_t group,
                 uint32_t flags, Follow follow) {
  if ((flags & ~(kAtSymlinkNofollow | kAtEmptyPath)) != 0) return -kEINVAL;
  Target t;
  if (int64_t e = lookup_at(task, dirfd, path, flags, follow, &t); e != 0) return e;
  return t.inode ? t.inode->set_owner(owner, group) : 0;  // every process is root: any owner goes
}

int64_t mode_at(Task& task, int32_t dirfd, uint64_t path, uint32_t mode) {
  Target t;
  if (int64_t e = lookup_at(task, dirfd, path, 0, Follow::kYes, &t); e != 0) return e;
  return t.inode->set_permissions(mode & kPermissionBits);
}

enum class Removing : uint8_t { kName, kDirectory };

int64_t unlink_at(Task& task, int32_t dirfd, uint64_t path, Removing what) {
  PathBuffer name;
  InodeRef start;
  if (int64_t e = name_at(task, dirfd, path, &name, &start); e != 0) return e;
  return what == Removing::kDirectory ? fs::remove_directory(task.process, start.get(), name.view())
                                      : fs::unlink(task.process, start.get(), name.view());
}

bool valid_nsec(int64_t nsec) {
  return (nsec >= 0 && nsec < 1'000'000'000) || nsec == kUtimeNow || nsec == kUtimeOmit;
}

}  // namespace

int64_t sys_openat(Task& task, int32_t dirfd, uint64_t pathname, uint32_t flags, uint32_t mode) {
  PathBuffer name;
  InodeRef start;
  if (int64_t e = name_at(task, dirfd, pathname, &name, &start); e != 0) return e;
  const uint64_t limit = task.process.limits[kRlimitNofile].cur;
  // The fd is found first, as in Linux: no file is made when there is no fd for it.
  const int32_t free = task.process.fds.lowest_free(limit);
  if (free < 0) return -kEMFILE;
  File* file = nullptr;
  if (int64_t e = fs::open(task.process, start.get(), name.view(), flags, mode, &file); e != 0) {
    return e;
  }
  const CloseOnExec cloexec = (flags & kOCloexec) != 0 ? CloseOnExec::kYes : CloseOnExec::kNo;
  return task.process.fds.allocate(file, free, limit, cloexec);
}

int64_t sys_open(Task& task, uint64_t pathname, uint32_t flags, uint32_t mode) {
  return sys_openat(task, kAtFdcwd, pathname, flags, mode);
}

int64_t sys_stat(Task& task, uint64_t pathname, uint64_t statbuf) {
  return stat_path(task, pathname, statbuf, 0);
}

int64_t sys_lstat(Task& task, uint64_t pathname, uint64_t statbuf) {
  return stat_path(task, pathname, statbuf, kAtSymlinkNofollow);
}

int64_t sys_newfstatat(Task& task, int32_t dirfd, uint64_t pathname, uint64_t statbuf,
                       uint32_t flags) {
  if ((flags & ~(kAtSymlinkNofollow | kAtNoAutomount | kAtEmptyPath)) != 0) return -kEINVAL;
  Stat st;
  if (int64_t e = status_at(task, dirfd, pathname, flags, &st); e != 0) return e;
  return task.process.mm.copy_out(statbuf, &st, sizeof(st)) ? 0 : -kEFAULT;
}

int64_t sys_statx(Task& task, int32_t dirfd, uint64_t pathname, uint32_t flags, uint32_t mask,
                  uint64_t statxbuf) {
  const uint32_t known = kAtSymlinkNofollow | kAtNoAutomount | kAtEmptyPath | kAtStatxSyncType;
  if ((flags & ~known) != 0 || (flags & kAtStatxSyncType) == kAtStatxSyncType) return -kEINVAL;
  if ((mask & kStatxReserved) != 0) return -kEINVAL;
  Stat st;
  if (int64_t e = status_at(task, dirfd, pathname, flags, &st); e != 0) return e;
  Statx x;
  to_statx(st, &x);
  return task.process.mm.copy_out(statxbuf, &x, sizeof(x)) ? 0 : -kEFAULT;
}

int64_t sys_access(Task& task, uint64_t pathname, int32_t mode) {
  return access_at(task, kAtFdcwd, pathname, mode, 0);
}

int64_t sys_faccessat(Task& task, int32_t dirfd, uint64_t pathname, int32_t mode) {
  return access_at(task, dirfd, pathname, mode, 0);
}

int64_t sys_faccessat2(Task& task, int32_t dirfd, uint64_t pathname, int32_t mode, uint32_t flags) {
  return access_at(task, dirfd, pathname, mode, flags);
}

int64_t sys_getcwd(Task& task, uint64_t buf, uint64_t size) {
  const InodeRef cwd = fs::working_directory_of(task.process);
  const InodeRef top = fs::root_of(task.process);
  char text[kPathMax];
  const int64_t n =
      fs::directory_path(top.get(), static_cast<fs::Directory*>(cwd.get()), text, sizeof(text));
  if (n < 0) return n == -kERANGE ? -kENAMETOOLONG : n;  // longer than a page, as Linux
  const auto length = static_cast<uint64_t>(n) + 1;
  if (length > size) return -kERANGE;
  return task.process.mm.copy_out(buf, text, length) ? static_cast<int64_t>(length) : -kEFAULT;
}

int64_t sys_chdir(Task& task, uint64_t path) {
  Target t;
  if (int64_t e = lookup_at(task, kAtFdcwd, path, 0, Follow::kYes, &t); e != 0) return e;
  if (!t.inode->is_directory()) return -kENOTDIR;
  task.process.cwd = t.inode;
  return 0;
}

int64_t sys_fchdir(Task& task, int32_t fd) {
  File* file = any_file(task, fd);
  if (file == nullptr) return -kEBADF;
  if (file->inode() == nullptr || !file->inode()->is_directory()) return -kENOTDIR;
  task.process.cwd.reset(file->inode());
  return 0;
}

int64_t sys_mkdirat(Task& task, int32_t dirfd, uint64_t pathname, uint32_t mode) {
  PathBuffer name;
  InodeRef start;
  if (int64_t e = name_at(task, dirfd, pathname, &name, &start); e != 0) return e;
  return fs::make_directory(task.process, start.get(), name.view(), mode);
}

int64_t sys_mkdir(Task& task, uint64_t pathname, uint32_t mode) {
  return sys_mkdirat(task, kAtFdcwd, pathname, mode);
}

int64_t sys_rmdir(Task& task, uint64_t pathname) {
  return unlink_at(task, kAtFdcwd, pathname, Removing::kDirectory);
}

int64_t sys_unlink(Task& task, uint64_t pathname) {
  return unlink_at(task, kAtFdcwd, pathname, Removing::kName);
}

int64_t sys_unlinkat(Task& task, int32_t dirfd, uint64_t pathname, uint32_t flags) {
  if ((flags & ~kAtRemovedir) != 0) return -kEINVAL;
  return unlink_at(task, dirfd, pathname,
                   (flags & kAtRemovedir) != 0 ? Removing::kDirectory : Removing::kName);
}

int64_t sys_renameat2(Task& task, int32_t olddirfd, uint64_t oldpath, int32_t newdirfd,
                      uint64_t newpath, uint32_t flags) {
  // Bad flags before bad names, as Linux's do_renameat2 checks them.
  if ((flags & ~(kRenameNoreplace | kRenameExchange | kRenameWhiteout)) != 0) return -kEINVAL;
  PathBuffer from;
  PathBuffer to;
  InodeRef from_start;
  InodeRef to_start;
  if (int64_t e = name_at(task, olddirfd, oldpath, &from, &from_start); e != 0) return e;
  if (int64_t e = name_at(task, newdirfd, newpath, &to, &to_start); e != 0) return e;
  return fs::rename(task.process, from_start.get(), from.view(), to_start.get(), to.view(), flags);
}

int64_t sys_renameat(Task& task, int32_t olddirfd, uint64_t oldpath, int32_t newdirfd,
                     uint64_t newpath) {
  return sys_renameat2(task, olddirfd, oldpath, newdirfd, newpath, 0);
}

int64_t sys_rename(Task& task, uint64_t oldpath, uint64_t newpath) {
  return sys_renameat2(task, kAtFdcwd, oldpath, kAtFdcwd, newpath, 0);
}

int64_t sys_linkat(Task& task, int32_t olddirfd, uint64_t oldpath, int32_t newdirfd,
                   uint64_t newpath, uint32_t flags) {
  if ((flags & ~(kAtSymlinkFollow | kAtEmptyPath)) != 0) return -kEINVAL;
  const Follow follow = (flags & kAtSymlinkFollow) != 0 ? Follow::kYes : Follow::kNo;
  Target t;
  if (int64_t e = lookup_at(task, olddirfd, oldpath, flags & kAtEmptyPath, follow, &t); e != 0) {
    return e;
  }
  if (!t.inode) return -kEXDEV;  // a pipe's inode is on no file system here
  PathBuffer name;
  InodeRef start;
  if (int64_t e = name_at(task, newdirfd, newpath, &name, &start); e != 0) return e;
  return fs::make_link(task.process, t.inode.get(), start.get(), name.view());
}

int64_t sys_link(Task& task, uint64_t oldpath, uint64_t newpath) {
  return sys_linkat(task, kAtFdcwd, oldpath, kAtFdcwd, newpath, 0);
}

int64_t sys_symlinkat(Task& task, uint64_t target, int32_t newdirfd, uint64_t linkpath) {
  PathBuffer text;
  if (int64_t e = copy_path(task, target, &text); e != 0) return e;
  PathBuffer name;
  InodeRef start;
  if (int64_t e = name_at(task, newdirfd, linkpath, &name, &start); e != 0) return e;
  return fs::make_symlink(task.process, text.view(), start.get(), name.view());
}

int64_t sys_symlink(Task& task, uint64_t target, uint64_t linkpath) {
  return sys_symlinkat(task, target, kAtFdcwd, linkpath);
}

int64_t sys_readlinkat(Task& task, int32_t dirfd, uint64_t pathname, uint64_t buf, int32_t bufsiz) {
  if (bufsiz <= 0) return -kEINVAL;
  Target t;
  if (int64_t e = lookup_at(task, dirfd, pathname, kAtEmptyPath, Follow::kNo, &t); e != 0) {
    return e;
  }
  // An empty path names dirfd's own link (an O_PATH | O_NOFOLLOW fd); anything else there is
  // -ENOENT rather than the -EINVAL of a path to what is not a link.
  if (t.empty_path && (!t.inode || !t.inode->is_symlink())) return -kENOENT;
  char text[kPathMax];
  const int64_t n =
      fs::read_link(t.inode.get(), text, min(static_cast<size_t>(bufsiz), sizeof(text)));
  if (n < 0) return n;
  return task.process.mm.copy_out(buf, text, static_cast<uint64_t>(n)) ? n : -kEFAULT;
}

int64_t sys_readlink(Task& task, uint64_t pathname, uint64_t buf, int32_t bufsiz) {
  return sys_readlinkat(task, kAtFdcwd, pathname, buf, bufsiz);
}

int64_t sys_umask(Task& task, int32_t mask) {
  const uint32_t old = task.process.umask;
  task.process.umask = static_cast<uint32_t>(mask) & 0777;
  return old;
}

int64_t sys_truncate(Task& task, uint64_t path, int64_t length) {
  if (length < 0) return -kEINVAL;
  Target t;
  if (int64_t e = lookup_at(task, kAtFdcwd, path, 0, Follow::kYes, &t); e != 0) return e;
  return fs::truncate(t.inode.get(), length);
}

int64_t sys_utimensat(Task& task, int32_t dirfd, uint64_t pathname, uint64_t times,
                      uint32_t flags) {
  Timespec t[2] = {{0, kUtimeNow}, {0, kUtimeNow}};  // null times: both now
  if (times != 0 && !task.process.mm.copy_in(t, times, sizeof(t))) return -kEFAULT;
  if (!valid_nsec(t[0].nsec) || !valid_nsec(t[1].nsec)) return -kEINVAL;
  if ((flags & ~(kAtSymlinkNofollow | kAtEmptyPath)) != 0) return -kEINVAL;
  Target target;
  if (pathname == 0 && dirfd != kAtFdcwd) {
    // A null path names dirfd itself (what futimens does).
    if ((flags & kAtSymlinkNofollow) != 0) return -kEINVAL;
    File* file = io_file(task, dirfd);
    if (file == nullptr) return -kEBADF;
    target.inode.reset(file->inode());
  } else if (int64_t e = lookup_at(task, dirfd, pathname, flags, Follow::kYes, &target); e != 0) {
    return e;
  }
  if (!target.inode || (t[0].nsec == kUtimeOmit && t[1].nsec == kUtimeOmit)) return 0;
  const Timespec now = fs::now();
  auto pick = [&now](const Timespec& want) {
    return want.nsec == kUtimeOmit ? nullptr : want.nsec == kUtimeNow ? &now : &want;
  };
  return target.inode->set_times(pick(t[0]), pick(t[1]));
}

int64_t sys_chmod(Task& task, uint64_t pathname, uint32_t mode) {
  return mode_at(task, kAtFdcwd, pathname, mode);
}

int64_t sys_fchmodat(Task& task, int32_t dirfd, uint64_t pathname, uint32_t mode) {
  return mode_at(task, dirfd, pathname, mode);
}

int64_t sys_fchmod(Task& task, int32_t fd, uint32_t mode) {
  File* file = io_file(task, fd);
  if (file == nullptr) return -kEBADF;
  return file->inode() != nullptr ? file->inode()->set_permissions(mode & kPermissionBits) : 0;
}

int64_t sys_chown(Task& task, uint64_t pathname, uint32_t owner, uint32_t group) {
  return owner_at(task, kAtFdcwd, pathname, owner, group, 0, Follow::kYes);
}

int64_t sys_lchown(Task& task, uint64_t pathname, uint32_t owner, uint32_t group) {
  return owner_at(task, kAtFdcwd, pathname, owner, group, 0, Follow::kNo);
}

int64_t sys_fchownat(Task& task, int32_t dirfd, uint64_t pathname, uint32_t owner, uint32_t group,
                     uint32_t flags) {
  return owner_at(task, dirfd, pathname, owner, group, flags, Follow::kYes);
}

int64_t sys_fchown(Task& task, int32_t fd, uint32_t owner, uint32_t group) {
  File* file = io_file(task, fd);
  if (file == nullptr) return -kEBADF;
  return file->inode() != nullptr ? file->inode()->set_owner(owner, group) : 0;
}

}  // namespace hmk::lx
