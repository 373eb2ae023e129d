// Path resolution: a walk over all but the last component, then the last component's lookup,
// which follows a symbolic link by walking its target from the link's directory (Linux's
// link_path_walk and open_last_lookups). Following an intermediate link is a resolution of its
// target, so the recursion is at most kMaxSymlinks deep: each level spends one link.
#include "linuxcompat/fs/path.h"

#include "core/lib/util.h"

#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/task.h"

namespace hmk::lx::fs {
namespace {

LastKind kind_of(StringView name) {
  if (name == ".") return LastKind::kDot;
  if (name == "..") return LastKind::kDotDot;
  return LastKind::kNormal;
}

bool only_slashes(StringView s) {
  for (char c : s) {
    if (c != '/') return false;
  }
  return true;
}

int64_t dot_dot(Process& process, Directory* dir, InodeRef* out) {
  const InodeRef root = root_of(process);
  if (dir == root.get()) {
    out->reset(dir);  // ".." of the root is the root
  } else if (dir->removed()) {
    return -kENOENT;
  } else {
    out->reset(dir->parent() != nullptr ? dir->parent() : dir);
  }
  return 0;
}

// One intermediate component in `dir`, which must lead to a directory.
int64_t step(Process& process, Inode* dir, StringView name, uint32_t* links, InodeRef* out) {
  Parent one;
  one.dir.reset(dir);
  one.last = name;
  one.kind = kind_of(name);
  if (int64_t e = lookup_last(process, &one, Follow::kYes, links, out); e != 0) return e;
  return (*out)->is_directory() ? 0 : -kENOTDIR;
}

// The inode of `parent`'s last component, not following it.
int64_t lookup_one(Process& process, const Parent& parent, InodeRef* out) {
  auto* dir = static_cast<Directory*>(parent.dir.get());
  switch (parent.kind) {
    case LastKind::kRoot:
    case LastKind::kDot:
      *out = parent.dir;
      return 0;
    case LastKind::kDotDot:
      return dot_dot(process, dir, out);
    case LastKind::kNormal:
      return dir->lookup(process, parent.last, out);
  }
  return -kENOENT;
}

}  // namespace

InodeRef root_of(Process& process) {
  return process.root ? process.root : InodeRef(root());
}

InodeRef working_directory_of(Process& process) {
  return process.cwd ? process.cwd : root_of(process);
}

int64_t walk_to_parent(Process& process, Inode* start, StringView path, uint32_t* links,
                       Parent* out) {
  if (path.empty()) return -kENOENT;
  InodeRef cur = path[0] == '/' ? root_of(process) : InodeRef(start);
  StringView rest = path;
  for (;;) {
    size_t slashes = 0;
    while (slashes < rest.size() && rest[slashes] == '/')
      ++slashes;
    rest.remove_prefix(slashes);
    if (rest.empty()) {  // the path is slashes only
      out->dir = cur;
      out->last = StringView();
      out->kind = LastKind::kRoot;
      out->trailing_slash = false;
      return 0;
    }
    size_t end = rest.find('/');
    if (end == StringView::kNpos) end = rest.size();
    const StringView name = rest.substr(0, end);
    rest.remove_prefix(end);
    if (name.size() > kNameMax) return -kENAMETOOLONG;
    if (only_slashes(rest)) {
      out->dir = cur;
      out->last = name;
      out->kind = kind_of(name);
      out->trailing_slash = !rest.empty();
      return 0;
    }
    InodeRef next;
    if (int64_t e = step(process, cur.get(), name, links, &next); e != 0) return e;
    cur = move(next);
  }
}

int64_t lookup_last(Process& process, Parent* parent, Follow follow, uint32_t* links,
                    InodeRef* out) {
  for (;;) {
    InodeRef child;
    if (int64_t e = lookup_one(process, *parent, &child); e != 0) return e;
    if (child->is_symlink() && (follow == Follow::kYes || parent->trailing_slash)) {
      if (*links == 0) return -kELOOP;
      --*links;
      auto* link = static_cast<SymlinkInode*>(child.get());
      if (Inode* target = link->jump(); target != nullptr) {
        child.reset(target);
      } else {
        // The target, from the link's directory; the link keeps its text alive meanwhile.
        Parent next;
        if (int64_t e = walk_to_parent(process, parent->dir.get(), link->target(), links, &next);
            e != 0) {
          return e;
        }
        next.trailing_slash = next.trailing_slash || parent->trailing_slash;
        next.text_owner = move(child);
        *parent = move(next);
        continue;
      }
    }
    if (parent->trailing_slash && !child->is_directory()) return -kENOTDIR;
    *out = move(child);
    return 0;
  }
}

int64_t resolve(Process& process, Inode* start, StringView path, Follow follow, InodeRef* out) {
  uint32_t links = kMaxSymlinks;
  Parent parent;
  if (int64_t e = walk_to_parent(process, start, path, &links, &parent); e != 0) return e;
  return lookup_last(process, &parent, follow, &links, out);
}

int64_t resolve_parent(Process& process, Inode* start, StringView path, Parent* out) {
  uint32_t links = kMaxSymlinks;
  return walk_to_parent(process, start, path, &links, out);
}

int64_t directory_path(Inode* root, Directory* dir, char* out, size_t capacity) {
  if (dir->removed()) return -kENOENT;
  if (capacity < 2) return -kERANGE;
  // Built backwards from the end of `out`, then moved to its start.
  size_t pos = capacity - 1;
  out[pos] = 0;
  for (Directory* d = dir; d != root && d->parent() != nullptr; d = d->parent()) {
    const StringView name = d->name();
    if (pos < name.size() + 1) return -kERANGE;
    pos -= name.size();
    mem_copy(out + pos, name.data(), name.size());
    out[--pos] = '/';
  }
  if (pos == capacity - 1) out[--pos] = '/';
  const size_t length = capacity - 1 - pos;
  mem_move(out, out + pos, length + 1);
  return static_cast<int64_t>(length);
}

int64_t path_in(Inode* root, Directory* dir, StringView last, char* out, size_t capacity) {
  int64_t n = directory_path(root, dir, out, capacity);
  if (n < 0 || last.empty()) return n;
  const size_t slash = out[n - 1] == '/' ? 0 : 1;
  if (static_cast<size_t>(n) + slash + last.size() + 1 > capacity) return -kERANGE;
  if (slash != 0) out[n++] = '/';
  mem_copy(out + n, last.data(), last.size());
  n += static_cast<int64_t>(last.size());
  out[n] = 0;
  return n;
}

}  // namespace hmk::lx::fs
