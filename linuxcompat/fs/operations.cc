// Calls on names: each resolves, checks in Linux's order (so that a call with several problems
// gets Linux's error), then changes the tree. Every process is root, so permission bits are
// not checked, except that executing needs an execute bit.
#include "linuxcompat/fs/operations.h"

#include "core/lib/util.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/open_file.h"
#include "linuxcompat/fs/service_fs.h"
#include "linuxcompat/task.h"

namespace hmk::lx::fs {
namespace {

Directory* directory_of(const Parent& parent) {
  return static_cast<Directory*>(parent.dir.get());
}

// A file system's root seen from its mount point: a different file system than its parent's.
bool is_mount_root(Inode* inode, Directory* parent) {
  return &inode->superblock() != &parent->superblock();
}

// A regular file whose bytes truncate reaches: tmpfs's and a service's, not /proc's.
bool holds_bytes(Inode* inode) {
  return inode->as_regular() != nullptr || (inode->is_regular() && inode->superblock().served);
}

// `dir` is `ancestor` or lies below it.
bool is_within(Directory* dir, Inode* ancestor) {
  for (Directory* d = dir; d != nullptr; d = d->parent()) {
    if (d == ancestor) return true;
  }
  return false;
}

// Linux's filename_create: the parent of a name about to be made, which must be free.
enum class Making : uint8_t { kFile, kDirectory };

int64_t prepare_create(Process& process, Inode* start, StringView path, Making what, Parent* out) {
  if (int64_t e = resolve_parent(process, start, path, out); e != 0) return e;
  if (out->kind != LastKind::kNormal) return -kEEXIST;
  Directory* dir = directory_of(*out);
  InodeRef existing;
  if (dir->lookup(process, out->last, &existing) == 0) return -kEEXIST;
  // "name/" for what is not a directory: a nonexistent directory was asked for.
  if (out->trailing_slash && what != Making::kDirectory) return -kENOENT;
  if (dir->removed()) return -kENOENT;
  return 0;
}

// O_CREAT: the last component made if missing, or followed if it is a symbolic link (which
// may lead to a missing name to make, in another directory).
int64_t open_create(Process& process, Parent* parent, uint32_t flags, uint32_t mode,
                    uint32_t* links, InodeRef* out, bool* created) {
  for (;;) {
    if (parent->kind != LastKind::kNormal) {
      return lookup_last(process, parent, Follow::kYes, links, out);  // ".", "..", "/"
    }
    if (parent->trailing_slash) return -kEISDIR;
    Directory* dir = directory_of(*parent);
    InodeRef child;
    int64_t e = dir->lookup(process, parent->last, &child);
    if (e == -kENOENT) {
      MemDirectory* changeable = dir->changeable();
      if (dir->removed()) return -kENOENT;
      if (ServiceDirectory* served = as_service_directory(dir); served != nullptr) {
        e = served->create(parent->last, false, mode & kPermissionBits & ~process.umask, out);
        *created = e == 0;
        return e;
      }
      if (changeable == nullptr) return -kEACCES;
      auto* file =
          new (kFallible) RegularInode(dir->superblock(), mode & kPermissionBits & ~process.umask);
      if (file == nullptr) return -kENOMEM;
      *out = InodeRef(file);
      *created = true;
      return changeable->adopt(parent->last, file);
    }
    if (e != 0) return e;
    if ((flags & kOExcl) != 0) return -kEEXIST;
    if (!child->is_symlink()) {
      *out = move(child);
      return 0;
    }
    if ((flags & kONofollow) != 0 || *links == 0) return -kELOOP;
    --*links;
    auto* link = static_cast<SymlinkInode*>(child.get());
    if (Inode* target = link->jump(); target != nullptr) {
      out->reset(target);
      return 0;
    }
    Parent next;
    if (e = walk_to_parent(process, dir, link->target(), links, &next); e != 0) return e;
    next.text_owner = move(child);
    *parent = move(next);
  }
}

// Linux's do_open: the checks on what was found, O_TRUNC, then the inode's own open.
int64_t finish_open(Process& process, const Parent& parent, Inode* inode, bool created,
                    uint32_t flags, File** out) {
  const uint32_t access = flags & kOAccmode;
  const bool writes = access == kOWronly || access == kORdwr || (flags & kOTrunc) != 0;
  if ((flags & (kOCreat | kOExcl)) == (kOCreat | kOExcl) && !created) return -kEEXIST;
  if ((flags & kOCreat) != 0 && inode->is_directory()) return -kEISDIR;
  if ((flags & kODirectory) != 0 && !inode->is_directory()) return -kENOTDIR;
  if ((flags & kOPath) == 0) {
    if (inode->is_symlink()) return -kELOOP;  // O_NOFOLLOW
    if (inode->is_directory() && writes) return -kEISDIR;
  }
  // The path /proc/PID/fd shows: where the last component was found.
  char text[kPathMax];
  const InodeRef top = root_of(process);
  int64_t n = -kERANGE;
  if (parent.kind == LastKind::kNormal) {
    n = path_in(top.get(), directory_of(parent), parent.last, text, sizeof(text));
  } else if (Directory* dir = as_directory(inode); dir != nullptr) {
    n = directory_path(top.get(), dir, text, sizeof(text));
  }
  const StringView path = n >= 0 ? StringView(text, static_cast<size_t>(n)) : parent.last;
  if ((flags & kOPath) != 0) {
    return make_open_file<PathFile>(out, inode, flags, path);
  }
  if ((flags & kOTrunc) != 0 && holds_bytes(inode) && !created) {
    if (int64_t e = inode->truncate(0); e != 0) return e;
  }
  return inode->open(process, flags, path, out);
}

struct RenameNames {
  Parent from;
  Parent to;
  InodeRef source;
  InodeRef target;  // null when the new name is free
};

// renameat2's checks, in Linux's order (do_renameat2, then vfs_rename).
int64_t check_rename(Process& process, RenameNames& r, uint32_t flags) {
  Directory* from_dir = directory_of(r.from);
  Directory* to_dir = directory_of(r.to);
  if (&from_dir->superblock() != &to_dir->superblock()) return -kEXDEV;
  if (r.from.kind != LastKind::kNormal) return -kEBUSY;
  if (r.to.kind != LastKind::kNormal) return (flags & kRenameNoreplace) != 0 ? -kEEXIST : -kEBUSY;
  if (int64_t e = from_dir->lookup(process, r.from.last, &r.source); e != 0) return e;
  if (int64_t e = to_dir->lookup(process, r.to.last, &r.target); e != 0 && e != -kENOENT) {
    return e;
  }
  if (r.target && (flags & kRenameNoreplace) != 0) return -kEEXIST;
  const bool is_dir = r.source->is_directory();
  if (!is_dir && (r.from.trailing_slash || r.to.trailing_slash)) return -kENOTDIR;
  if (from_dir != to_dir) {
    if (is_dir && is_within(to_dir, r.source.get())) return -kEINVAL;  // into itself
    if (r.target && is_within(from_dir, r.target.get())) return -kENOTEMPTY;
  }
  if (r.source.get() == r.target.get()) return 0;
  if (r.target && is_dir && !r.target->is_directory()) return -kENOTDIR;
  if (r.target && !is_dir && r.target->is_directory()) return -kEISDIR;
  if (is_mount_root(r.source.get(), from_dir)) return -kEBUSY;
  if (r.target && is_mount_root(r.target.get(), to_dir)) return -kEBUSY;
  const bool served = as_service_directory(from_dir) != nullptr;  // then to_dir is too
  if (!served && (from_dir->changeable() == nullptr || to_dir->changeable() == nullptr)) {
    return -kEPERM;
  }
  if (r.target && r.target->is_directory()) {
    if (ServiceDirectory* t = as_service_directory(r.target.get()); t != nullptr) {
      const int64_t empty = t->empty();
      if (empty <= 0) return empty == 0 ? -kENOTEMPTY : empty;
    } else if (!static_cast<Directory*>(r.target.get())->changeable()->empty()) {
      return -kENOTEMPTY;
    }
  }
  if (!r.target && to_dir->removed()) return -kENOENT;
  return 0;
}

}  // namespace

int64_t open(Process& process, Inode* start, StringView path, uint32_t flags, uint32_t mode,
             File** out) {
  if ((flags & kOTmpfile) == kOTmpfile) return -kEOPNOTSUPP;  // unnamed files: not yet
  if ((flags & kOCreat) != 0 && (flags & kODirectory) != 0) return -kEINVAL;
  if ((flags & kOPath) != 0) flags &= kOPath | kODirectory | kONofollow | kOCloexec;
  uint32_t links = kMaxSymlinks;
  Parent parent;
  if (int64_t e = walk_to_parent(process, start, path, &links, &parent); e != 0) return e;
  InodeRef inode;
  bool created = false;
  int64_t e = 0;
  if ((flags & kOCreat) != 0) {
    e = open_create(process, &parent, flags, mode, &links, &inode, &created);
  } else {
    const Follow follow = (flags & kONofollow) != 0 ? Follow::kNo : Follow::kYes;
    e = lookup_last(process, &parent, follow, &links, &inode);
  }
  if (e != 0) return e;
  e = finish_open(process, parent, inode.get(), created, flags, out);
  if (e != 0 && created) {  // out of memory for the File: as in Linux, which makes it first,
    if (ServiceDirectory* served = as_service_directory(directory_of(parent)); served) {
      (void)served->remove(parent.last, inode.get());  // no file is left behind
    } else {
      directory_of(parent)->changeable()->remove(parent.last);
      inode->drop_link();
    }
  }
  return e;
}

int64_t make_directory(Process& process, Inode* start, StringView path, uint32_t mode) {
  Parent parent;
  if (int64_t e = prepare_create(process, start, path, Making::kDirectory, &parent); e != 0)
    return e;
  const uint32_t permissions = mode & (0777 | kSIsvtx) & ~process.umask;
  if (ServiceDirectory* served = as_service_directory(directory_of(parent)); served != nullptr) {
    InodeRef made;
    return served->create(parent.last, true, permissions, &made);
  }
  MemDirectory* dir = directory_of(parent)->changeable();
  if (dir == nullptr) return -kEPERM;
  return dir->adopt(parent.last, new (kFallible) MemDirectory(dir->superblock(), permissions));
}

int64_t make_symlink(Process& process, StringView target, Inode* start, StringView path) {
  if (target.empty()) return -kENOENT;
  Parent parent;
  if (int64_t e = prepare_create(process, start, path, Making::kFile, &parent); e != 0) return e;
  if (ServiceDirectory* served = as_service_directory(directory_of(parent)); served != nullptr) {
    if (target.size() >= kPathMax) return -kENAMETOOLONG;
    return served->make_symlink(parent.last, target);
  }
  MemDirectory* dir = directory_of(parent)->changeable();
  if (dir == nullptr) return -kEPERM;
  if (target.size() >= kPathMax) return -kENAMETOOLONG;
  return dir->adopt(parent.last, SymlinkInode::create(dir->superblock(), target));
}

int64_t make_link(Process& process, Inode* inode, Inode* start, StringView path) {
  Parent parent;
  if (int64_t e = prepare_create(process, start, path, Making::kFile, &parent); e != 0) return e;
  Directory* dir = directory_of(parent);
  if (&dir->superblock() != &inode->superblock()) return -kEXDEV;
  ServiceDirectory* served = as_service_directory(dir);
  if ((served == nullptr && dir->changeable() == nullptr) || inode->is_directory()) return -kEPERM;
  if (inode->nlink() == 0) return -kENOENT;  // it has no name left to be linked from
  if (served != nullptr) return served->link(parent.last, inode);
  if (int64_t e = dir->changeable()->insert(parent.last, inode); e != 0) return e;
  inode->add_link();
  return 0;
}

int64_t unlink(Process& process, Inode* start, StringView path) {
  Parent parent;
  if (int64_t e = resolve_parent(process, start, path, &parent); e != 0) return e;
  if (parent.kind != LastKind::kNormal) return -kEISDIR;
  Directory* dir = directory_of(parent);
  InodeRef child;
  if (int64_t e = dir->lookup(process, parent.last, &child); e != 0) return e;
  if (child->is_directory()) return -kEISDIR;
  if (parent.trailing_slash) return -kENOTDIR;
  if (ServiceDirectory* served = as_service_directory(dir); served != nullptr) {
    return served->remove(parent.last, child.get());
  }
  MemDirectory* changeable = dir->changeable();
  if (changeable == nullptr) return -kEPERM;
  changeable->remove(parent.last);
  child->drop_link();  // open files keep the inode (and its bytes) alive
  return 0;
}

int64_t remove_directory(Process& process, Inode* start, StringView path) {
  Parent parent;
  if (int64_t e = resolve_parent(process, start, path, &parent); e != 0) return e;
  if (parent.kind == LastKind::kDot) return -kEINVAL;
  if (parent.kind == LastKind::kDotDot) return -kENOTEMPTY;
  if (parent.kind == LastKind::kRoot) return -kEBUSY;
  Directory* dir = directory_of(parent);
  InodeRef child;
  if (int64_t e = dir->lookup(process, parent.last, &child); e != 0) return e;
  Directory* victim = as_directory(child.get());
  if (victim == nullptr) return -kENOTDIR;
  if (is_mount_root(victim, dir) || victim == root_of(process).get()) return -kEBUSY;
  if (ServiceDirectory* served = as_service_directory(dir); served != nullptr) {
    return served->remove(parent.last, victim);  // the service refuses a non-empty one
  }
  MemDirectory* changeable = dir->changeable();
  if (changeable == nullptr) return -kEPERM;
  if (!victim->changeable()->empty()) return -kENOTEMPTY;
  changeable->remove(parent.last);
  victim->set_nlink(0);  // a working directory may keep it, empty and closed to new names
  victim->attributes_changed();
  return 0;
}

int64_t rename(Process& process, Inode* old_start, StringView old_path, Inode* new_start,
               StringView new_path, uint32_t flags) {
  if ((flags & ~(kRenameNoreplace | kRenameExchange | kRenameWhiteout)) != 0) return -kEINVAL;
  if ((flags & kRenameNoreplace) != 0 && (flags & kRenameExchange) != 0) return -kEINVAL;
  if ((flags & (kRenameExchange | kRenameWhiteout)) != 0) return -kEINVAL;  // not yet
  RenameNames r;
  if (int64_t e = resolve_parent(process, old_start, old_path, &r.from); e != 0) return e;
  if (int64_t e = resolve_parent(process, new_start, new_path, &r.to); e != 0) return e;
  if (int64_t e = check_rename(process, r, flags); e != 0) return e;
  if (r.source.get() == r.target.get()) return 0;  // two names of one file: nothing to do
  if (ServiceDirectory* from = as_service_directory(directory_of(r.from)); from != nullptr) {
    return ServiceDirectory::rename(from, r.from.last, as_service_directory(directory_of(r.to)),
                                    r.to.last, r.source.get(), r.target.get());
  }
  MemDirectory* from = directory_of(r.from)->changeable();
  MemDirectory* to = directory_of(r.to)->changeable();
  // The new entry's memory, before anything changes: the entries that go first make room.
  char* name = nullptr;
  const uint32_t leaving = (r.target ? 1 : 0) + (from == to ? 1 : 0);
  if (int64_t e = to->prepare(r.to.last, leaving, &name); e != 0) return e;
  // POINT OF NO RETURN: every check is done and the memory is there; the rename happens.
  if (r.target) {
    to->remove(r.to.last);
    if (r.target->is_directory()) {
      r.target->set_nlink(0);
    } else {
      r.target->drop_link();
    }
  }
  from->remove(r.from.last);  // r.source keeps the inode alive in between
  r.source->acquire();
  to->place(name, r.to.last.size(), r.source.get());
  r.source->attributes_changed();
  return 0;
}

int64_t read_link(Inode* inode, char* out, size_t capacity) {
  if (!inode->is_symlink()) return -kEINVAL;
  const StringView text = static_cast<SymlinkInode*>(inode)->target();
  const size_t n = min(text.size(), capacity);
  mem_copy(out, text.data(), n);
  inode->accessed();
  return static_cast<int64_t>(n);
}

int64_t truncate(Inode* inode, int64_t length) {
  if (length < 0) return -kEINVAL;
  if (inode->is_directory()) return -kEISDIR;
  if (!holds_bytes(inode)) return -kEINVAL;
  return inode->truncate(static_cast<uint64_t>(length));
}

int64_t access(Inode* inode, uint32_t mode) {
  if ((mode & kXOk) != 0 && !inode->is_directory() && (inode->mode() & kExecuteBits) == 0) {
    return -kEACCES;
  }
  return 0;
}

}  // namespace hmk::lx::fs
