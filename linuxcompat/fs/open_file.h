// Open files of the file system (open file descriptions, Linux's struct file): the inode, the
// path it was opened by, the access mode; regular files with their offset, directories with
// their listing cursor, O_PATH files. Devices are in devices.cc, /proc's files in procfs.cc.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/directory.h"
#include "linuxcompat/task.h"

namespace hmk::lx::fs {

class InodeFile : public File {
 public:
  ~InodeFile() override;
  Inode* inode() const override { return inode_.get(); }
  void stat(Stat* out) const override { inode_->fill_stat(out); }
  // The path it was opened by; " (deleted)" appended once it has no name, as Linux shows it.
  size_t describe(char* out, size_t capacity) const override;
  bool readable() const override;
  bool writable() const override;
  // False when its path could not be copied (out of memory): make_open_file gives it up.
  bool made() const { return path_ != nullptr; }

 protected:
  // `flags`: open's (the access mode is kept, creation flags dropped).
  InodeFile(Inode* inode, uint32_t flags, StringView path);

  InodeRef inode_;

 private:
  char* path_;
  size_t path_length_;
  uint32_t access_;  // O_RDONLY, O_WRONLY, O_RDWR, or 3 (neither: ioctl only, and O_PATH)
};

// A new open file `T(args...)` (an InodeFile) into *out: 0, or -ENOMEM with nothing made.
template <typename T, typename... Args>
int64_t make_open_file(File** out, Args... args) {
  T* file = new (kFallible) T(args...);
  if (file == nullptr) return -kENOMEM;
  if (!file->made()) {
    file->release();
    return -kENOMEM;
  }
  *out = file;
  return 0;
}

// A regular file of tmpfs (RegularInode) or of a service (service_fs.cc): its bytes through the
// inode's read, write and truncate.
class RegularFile final : public InodeFile {
 public:
  RegularFile(Inode* inode, uint32_t flags, StringView path) : InodeFile(inode, flags, path) {}
  int64_t read(uint8_t* buffer, uint64_t length) override;
  int64_t write(const uint8_t* data, uint64_t length) override;
  int64_t pread(uint8_t* buffer, uint64_t length, uint64_t offset) override;
  int64_t pwrite(const uint8_t* data, uint64_t length, uint64_t offset) override;
  int64_t seek(int64_t offset, uint32_t whence) override;
  int64_t truncate(uint64_t length) override;
  int64_t sync() override { return file().flush(); }
  // A read of tmpfs never waits (a service's is a call to it); a write may raise SIGXFSZ
  // (RLIMIT_FSIZE).
  bool answers_at_once(bool for_write, uint64_t) const override {
    return !for_write && !inode_->superblock().served;
  }
  // FIONREAD: the bytes between the offset and the end.
  int64_t ioctl(Task& task, uint64_t request, uint64_t argument) override;

 private:
  Inode& file() const { return *inode_; }
  int64_t offset_ = 0;
};

class DirectoryFile final : public InodeFile {
 public:
  DirectoryFile(Directory* dir, uint32_t flags, StringView path) : InodeFile(dir, flags, path) {}
  int64_t read(uint8_t*, uint64_t) override { return -kEISDIR; }
  int64_t write(const uint8_t*, uint64_t) override { return -kEISDIR; }
  int64_t seek(int64_t offset, uint32_t whence) override;
  int64_t getdents(uint8_t* buffer, uint64_t length) override;
  int64_t sync() override { return 0; }
  // A directory's path is its current one (it has exactly one name).
  size_t describe(char* out, size_t capacity) const override;

 private:
  uint64_t cursor_ = 0;  // the cookie of the last entry listed (0: none yet)
};

// O_PATH: a name held open; fstat, fchdir, a dirfd, dup and close work, I/O is -EBADF.
class PathFile final : public InodeFile {
 public:
  PathFile(Inode* inode, uint32_t flags, StringView path) : InodeFile(inode, flags, path) {}
  int64_t read(uint8_t*, uint64_t) override { return -kEBADF; }
  int64_t write(const uint8_t*, uint64_t) override { return -kEBADF; }
};

// Writes whole linux_dirent64 records: the next one of `entry` at `buffer + used` if it fits in
// `length`; its length, or 0 if it does not fit.
uint64_t put_dirent64(uint8_t* buffer, uint64_t used, uint64_t length, const DirEntry& entry);

}  // namespace hmk::lx::fs
