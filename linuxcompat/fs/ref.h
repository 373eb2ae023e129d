// A counted reference to an inode: what a directory entry, an open file, a process's working
// directory and a path walk hold. Declared apart from inode.h so that task.h can hold one.
#pragma once

namespace hmk::lx::fs {

class Inode;
void acquire(Inode* inode);
void release(Inode* inode);  // the inode is deleted with its last reference

class InodeRef {
 public:
  InodeRef() = default;
  // Takes a new reference to `inode` (which may be null).
  explicit InodeRef(Inode* inode) : inode_(inode) {
    if (inode_ != nullptr) acquire(inode_);
  }
  // Takes over a reference the caller already holds (a freshly created inode's first one).
  static InodeRef adopt(Inode* inode) {
    InodeRef r;
    r.inode_ = inode;
    return r;
  }
  InodeRef(const InodeRef& other) : InodeRef(other.inode_) {}
  InodeRef(InodeRef&& other) noexcept : inode_(other.inode_) { other.inode_ = nullptr; }
  InodeRef& operator=(const InodeRef& other) {
    if (this != &other) reset(other.inode_);
    return *this;
  }
  InodeRef& operator=(InodeRef&& other) noexcept {
    if (this != &other) {
      if (inode_ != nullptr) release(inode_);
      inode_ = other.inode_;
      other.inode_ = nullptr;
    }
    return *this;
  }
  ~InodeRef() {
    if (inode_ != nullptr) release(inode_);
  }

  // Drops the reference held, then takes one to `inode`.
  void reset(Inode* inode = nullptr) {
    if (inode != nullptr) acquire(inode);
    if (inode_ != nullptr) release(inode_);
    inode_ = inode;
  }
  Inode* get() const { return inode_; }
  Inode* operator->() const { return inode_; }
  Inode& operator*() const { return *inode_; }
  explicit operator bool() const { return inode_ != nullptr; }

 private:
  Inode* inode_ = nullptr;
};

}  // namespace hmk::lx::fs
