// Open regular files, directories and O_PATH files.
#include "linuxcompat/fs/open_file.h"

#include "core/lib/format.h"
#include "core/lib/util.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/path.h"

namespace hmk::lx::fs {
namespace {

size_t copy_text(char* out, size_t capacity, StringView text) {
  if (capacity == 0) return 0;
  const size_t n = min(text.size(), capacity - 1);
  mem_copy(out, text.data(), n);
  out[n] = 0;
  return n;
}

// An offset `base + delta` that must stay in [0, INT64_MAX]: the result, or -EINVAL.
int64_t moved(int64_t base, int64_t delta) {
  int64_t result = 0;
  if (__builtin_add_overflow(base, delta, &result) || result < 0) return -kEINVAL;
  return result;
}

}  // namespace

// ---- every open file of the file system ----

InodeFile::InodeFile(Inode* inode, uint32_t flags, StringView path)
    : inode_(inode), access_(flags & kOAccmode) {
  path_ = new (kFallible) char[path.size() + 1];
  path_length_ = path_ != nullptr ? copy_text(path_, path.size() + 1, path) : 0;
  // F_GETFL's flags as Linux keeps them: O_LARGEFILE added (x86-64), the creation flags and
  // O_CLOEXEC (the fd's) dropped; an O_PATH file has nothing but O_PATH, O_DIRECTORY and
  // O_NOFOLLOW.
  if ((flags & kOPath) != 0) {
    access_ = kOAccmode;
    set_status_flags(flags & (kOPath | kODirectory | kONofollow));
  } else {
    set_status_flags((flags & ~(kOAccmode | kOCreat | kOExcl | kONoctty | kOTrunc | kOCloexec)) |
                     kOLargefile);
  }
}

InodeFile::~InodeFile() {
  delete[] path_;
}

bool InodeFile::readable() const {
  return access_ == kORdonly || access_ == kORdwr;
}

bool InodeFile::writable() const {
  return access_ == kOWronly || access_ == kORdwr;
}

size_t InodeFile::describe(char* out, size_t capacity) const {
  const bool deleted = inode_->nlink() == 0;
  const size_t n = snformat(out, capacity, "%.*s%s", static_cast<int>(path_length_), path_,
                            deleted ? " (deleted)" : "");
  return min(n, capacity > 0 ? capacity - 1 : 0);
}

// ---- regular files ----

int64_t RegularInode::open(Process&, uint32_t flags, StringView path, File** out) {
  return make_open_file<RegularFile>(out, this, flags, path);
}

int64_t RegularFile::read(uint8_t* buffer, uint64_t length) {
  const int64_t n = file().read(buffer, length, static_cast<uint64_t>(offset_));
  if (n < 0) return n;
  offset_ += n;
  file().accessed();
  return n;
}

int64_t RegularFile::write(const uint8_t* data, uint64_t length) {
  if ((status_flags() & kOAppend) != 0) offset_ = static_cast<int64_t>(file().size());
  const int64_t n = file().write(data, length, static_cast<uint64_t>(offset_));
  if (n > 0) offset_ += n;
  return n;
}

int64_t RegularFile::pread(uint8_t* buffer, uint64_t length, uint64_t offset) {
  const int64_t n = file().read(buffer, length, offset);
  if (n >= 0) file().accessed();
  return n;
}

int64_t RegularFile::pwrite(const uint8_t* data, uint64_t length, uint64_t offset) {
  // Linux appends with O_APPEND whatever the offset (pwrite(2), BUGS).
  if ((status_flags() & kOAppend) != 0) offset = file().size();
  return file().write(data, length, offset);
}

int64_t RegularFile::seek(int64_t offset, uint32_t whence) {
  const auto size = static_cast<int64_t>(file().size());
  int64_t to = 0;
  switch (whence) {
    case kSeekSet:
      to = offset < 0 ? -kEINVAL : offset;
      break;
    case kSeekCur:
      to = moved(offset_, offset);
      break;
    case kSeekEnd:
      to = moved(size, offset);
      break;
    case kSeekData:  // no holes: data everywhere before the end
    case kSeekHole:  // the only hole is the one at the end
      if (offset < 0) return -kEINVAL;
      if (offset >= size) return -kENXIO;
      to = whence == kSeekData ? offset : size;
      break;
    default:
      return -kEINVAL;
  }
  if (to < 0) return to;
  offset_ = to;
  return to;
}

int64_t RegularFile::truncate(uint64_t length) {
  return file().truncate(length);
}

int64_t RegularFile::ioctl(Task& task, uint64_t request, uint64_t argument) {
  if (request != kFionread) return -kENOTTY;
  const uint64_t size = file().size();
  const auto at = static_cast<uint64_t>(offset_);
  const auto left = static_cast<int32_t>(min<uint64_t>(at < size ? size - at : 0, INT32_MAX));
  return task.process.mm.copy_out(argument, &left, sizeof(left)) ? 0 : -kEFAULT;
}

// ---- directories ----

int64_t Directory::open(Process&, uint32_t flags, StringView path, File** out) {
  return make_open_file<DirectoryFile>(out, this, flags, path);
}

uint64_t put_dirent64(uint8_t* buffer, uint64_t used, uint64_t length, const DirEntry& entry) {
  const uint64_t reclen = align_up<uint64_t>(kDirent64NameOffset + entry.name.size() + 1, 8);
  if (reclen > length - used) return 0;
  uint8_t* record = buffer + used;
  mem_set(record, 0, reclen);
  const auto off = static_cast<int64_t>(entry.cookie);
  const auto reclen16 = static_cast<uint16_t>(reclen);
  mem_copy(record + offsetof(Dirent64, ino), &entry.ino, sizeof(entry.ino));
  mem_copy(record + offsetof(Dirent64, off), &off, sizeof(off));
  mem_copy(record + offsetof(Dirent64, reclen), &reclen16, sizeof(reclen16));
  record[offsetof(Dirent64, type)] = entry.type;
  mem_copy(record + kDirent64NameOffset, entry.name.data(), entry.name.size());
  return reclen;
}

int64_t DirectoryFile::getdents(uint8_t* buffer, uint64_t length) {
  auto* dir = static_cast<Directory*>(inode_.get());
  if (dir->removed()) return -kENOENT;
  uint64_t used = 0;
  for (;;) {
    DirEntry e;
    if (cursor_ < 2) {
      // "." and "..", cookies 1 and 2 (".." of a file system's root is itself).
      const Directory* up = cursor_ == 0 || dir->parent() == nullptr ? dir : dir->parent();
      e.cookie = cursor_ + 1;
      e.ino = up->ino();
      e.type = dirent_type(kSIfdir);
      e.name = StringView(cursor_ == 0 ? "." : "..");
    } else if (!dir->next(cursor_, &e)) {
      break;
    }
    const uint64_t n = put_dirent64(buffer, used, length, e);
    if (n == 0) {
      if (used == 0) return -kEINVAL;  // not even one record fits
      break;
    }
    used += n;
    cursor_ = e.cookie;
  }
  dir->accessed();
  return static_cast<int64_t>(used);
}

int64_t DirectoryFile::seek(int64_t offset, uint32_t whence) {
  // As tmpfs (dcache_dir_lseek): a cookie from the start or from the current one.
  int64_t to = -kEINVAL;
  if (whence == kSeekSet) to = offset < 0 ? -kEINVAL : offset;
  if (whence == kSeekCur) to = moved(static_cast<int64_t>(cursor_), offset);
  if (to < 0) return to;
  cursor_ = static_cast<uint64_t>(to);
  return to;
}

size_t DirectoryFile::describe(char* out, size_t capacity) const {
  auto* dir = static_cast<Directory*>(inode_.get());
  const int64_t n = directory_path(root(), dir, out, capacity);
  return n >= 0 ? static_cast<size_t>(n) : InodeFile::describe(out, capacity);
}

}  // namespace hmk::lx::fs
