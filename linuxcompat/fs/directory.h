// Directories: lookup of a name and listing by cookie, for every kind (the memory directories
// of tmpfs and devtmpfs, which take changes, and the generated ones of /proc). A directory
// knows its parent and its name there, so a working directory's path can be rebuilt (getcwd).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"
#include "linuxcompat/fs/inode.h"

namespace hmk::lx::fs {

class MemDirectory;

// An entry as a listing reports it.
struct DirEntry {
  // Where a listing continues after this entry (getdents64's d_off). Cookies 1 and 2 are "."
  // and ".."; a directory's own entries have cookies from 3 up, increasing in listing order and
  // never reused, so a listing survives entries being added and removed.
  uint64_t cookie;
  uint64_t ino;
  uint8_t type;      // DT_*
  StringView name;   // valid until the directory changes
  char storage[24];  // for generated names (/proc's numbers)
};

class Directory : public Inode {
 public:
  static constexpr uint64_t kFirstCookie = 3;

  // The inode named `name` (one component, not "." or ".."): 0 and *out, or -ENOENT (also in a
  // directory that was removed). `process` is the caller (/proc/self).
  virtual int64_t lookup(Process& process, StringView name, InodeRef* out) = 0;
  // The first entry with a cookie greater than `after`, or false at the end.
  virtual bool next(uint64_t after, DirEntry* out) = 0;
  // The directory itself when it takes new names, else nullptr (proc: creating there is
  // -EACCES or -EPERM, as in Linux's VFS for a directory without those operations).
  virtual MemDirectory* changeable() { return nullptr; }

  int64_t open(Process& process, uint32_t flags, StringView path, File** out) override;

  // ".." (nullptr for a file system's root and for a removed directory) and the name there.
  Directory* parent() const { return parent_; }
  StringView name() const { return name_; }
  // Removed from its parent (rmdir): no lookups, no new entries.
  bool removed() const { return nlink() == 0; }

  // Directory is where it is: `parent` (which holds a reference to it through an entry, or
  // for a mount's root, from the file system table) under `name`, whose bytes are not copied:
  // they must stay while it is attached there (the parent's entry's copy, or the directory's
  // own storage). Nothing is allocated, so nothing can fail.
  void attach(Directory* parent, StringView name);
  void detach();

 protected:
  Directory(Superblock& sb, uint32_t permissions, uint64_t ino = 0)
      : Inode(sb, kSIfdir | permissions, 0, ino) {
    set_nlink(2);
  }

 private:
  Directory* parent_ = nullptr;
  StringView name_;
};

// A directory of tmpfs or devtmpfs: its entries in memory, in the order they were made.
class MemDirectory final : public Directory {
 public:
  MemDirectory(Superblock& sb, uint32_t permissions) : Directory(sb, permissions) {}
  ~MemDirectory() override;

  int64_t lookup(Process& process, StringView name, InodeRef* out) override;
  bool next(uint64_t after, DirEntry* out) override;
  MemDirectory* changeable() override { return this; }
  // tmpfs's: 20 bytes (BOGO_DIRENT_SIZE) for each entry, "." and ".." included.
  uint64_t size() const override { return (count_ + 2) * 20; }

  // The inode of `name`, without a reference; nullptr if there is none.
  Inode* find(StringView name) const;
  // Adds `name` (free: the caller checked) for `inode`, taking a reference; a directory is
  // attached here (its ".." and our nlink). 0, -ENOSPC (2^20 names), or -ENOMEM with nothing
  // changed.
  int64_t insert(StringView name, Inode* inode);
  // The same for a new inode: the entry takes over the caller's reference (dropped if the
  // name cannot be added). A null `inode` (its allocation failed) is -ENOMEM.
  int64_t adopt(StringView name, Inode* inode);
  // An entry's memory, taken before anything changes (rename takes it before its point of no
  // return): room in the array for one more entry once `leaving` entries have gone, and a copy
  // of `name` into *copy. 0, -ENOSPC or -ENOMEM. place() must use it.
  int64_t prepare(StringView name, uint32_t leaving, char** copy);
  // Adds the entry whose memory prepare() took, for `inode` (taking over the caller's
  // reference); a directory is attached here. Cannot fail.
  void place(char* copy, size_t length, Inode* inode);
  // Removes `name` (present), dropping the reference; a directory is detached.
  void remove(StringView name);
  bool empty() const { return count_ == 0; }

 private:
  struct Entry {
    char* name;
    size_t length;
    uint64_t cookie;
    Inode* inode;  // one reference
  };
  static constexpr uint32_t kMaxEntries = 1u << 20;

  int64_t index_of(StringView name) const;
  // Gives an entry's inode up: detaches a directory, drops our reference.
  void drop(Inode* inode);

  Entry* entries_ = nullptr;  // by increasing cookie
  uint32_t count_ = 0;
  uint32_t capacity_ = 0;
  uint64_t next_cookie_ = kFirstCookie;
};

inline Directory* as_directory(Inode* inode) {
  return inode != nullptr && inode->is_directory() ? static_cast<Directory*>(inode) : nullptr;
}

}  // namespace hmk::lx::fs
