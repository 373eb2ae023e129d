// Directories: the parent link and name (for getcwd), and tmpfs's memory directories.
#include "linuxcompat/fs/directory.h"

#include "core/lib/util.h"
#include "linuxcompat/alloc.h"

namespace hmk::lx::fs {

void Directory::attach(Directory* parent, StringView name) {
  name_ = name;
  parent_ = parent;
}

void Directory::detach() {
  parent_ = nullptr;
  name_ = StringView();  // the bytes were the entry's, which goes
}

MemDirectory::~MemDirectory() {
  for (uint32_t i = 0; i < count_; ++i) {
    delete[] entries_[i].name;
    drop(entries_[i].inode);
  }
  delete[] entries_;
}

int64_t MemDirectory::index_of(StringView name) const {
  for (uint32_t i = 0; i < count_; ++i) {
    if (StringView(entries_[i].name, entries_[i].length) == name) return i;
  }
  return -1;
}

Inode* MemDirectory::find(StringView name) const {
  const int64_t i = index_of(name);
  return i < 0 ? nullptr : entries_[i].inode;
}

int64_t MemDirectory::lookup(Process&, StringView name, InodeRef* out) {
  Inode* inode = removed() ? nullptr : find(name);
  if (inode == nullptr) return -kENOENT;
  out->reset(inode);
  return 0;
}

bool MemDirectory::next(uint64_t after, DirEntry* out) {
  // Entries are sorted by cookie: the first one past `after` by binary search.
  uint32_t lo = 0, hi = count_;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (entries_[mid].cookie <= after) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == count_) return false;
  const Entry& e = entries_[lo];
  out->cookie = e.cookie;
  out->ino = e.inode->ino();
  out->type = dirent_type(e.inode->mode());
  out->name = StringView(e.name, e.length);
  return true;
}

int64_t MemDirectory::insert(StringView name, Inode* inode) {
  inode->acquire();
  return adopt(name, inode);
}

int64_t MemDirectory::adopt(StringView name, Inode* inode) {
  if (inode == nullptr) return -kENOMEM;
  char* copy = nullptr;
  if (int64_t e = prepare(name, 0, &copy); e != 0) {
    inode->release();
    return e;
  }
  place(copy, name.size(), inode);
  return 0;
}

int64_t MemDirectory::prepare(StringView name, uint32_t leaving, char** copy) {
  if (count_ - leaving >= kMaxEntries) return -kENOSPC;
  // The name first: a failure after the array has grown would keep the larger array.
  char* made = new (kFallible) char[max<size_t>(name.size(), 1)];
  if (made == nullptr) return -kENOMEM;
  if (count_ - leaving == capacity_) {
    const uint32_t grown = max<uint32_t>(8, capacity_ * 2);
    auto* bigger = new (kFallible) Entry[grown];
    if (bigger == nullptr) {
      delete[] made;
      return -kENOMEM;
    }
    for (uint32_t i = 0; i < count_; ++i)
      bigger[i] = entries_[i];
    delete[] entries_;
    entries_ = bigger;
    capacity_ = grown;
  }
  mem_copy(made, name.data(), name.size());
  *copy = made;
  return 0;
}

void MemDirectory::place(char* copy, size_t length, Inode* inode) {
  entries_[count_++] = {copy, length, next_cookie_++, inode};
  if (Directory* d = as_directory(inode)) {
    d->attach(this, StringView(copy, length));
    set_nlink(nlink() + 1);  // its ".."
  }
  contents_changed();
}

void MemDirectory::remove(StringView name) {
  const int64_t i = index_of(name);
  if (i < 0) return;
  const Entry gone = entries_[i];
  for (uint32_t j = static_cast<uint32_t>(i); j + 1 < count_; ++j)
    entries_[j] = entries_[j + 1];
  --count_;
  delete[] gone.name;
  drop(gone.inode);
  contents_changed();
}

void MemDirectory::drop(Inode* inode) {
  if (Directory* d = as_directory(inode)) {
    if (d->parent() == this) d->detach();
    set_nlink(nlink() - 1);
  }
  inode->release();
}

}  // namespace hmk::lx::fs
