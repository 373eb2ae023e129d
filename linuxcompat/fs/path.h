// Path resolution as Linux does it (fs/namei.c): absolute paths from the process's root,
// relative ones from a starting directory (the working directory or a dirfd's); "." and "..";
// repeated slashes; symbolic links followed, at most kMaxSymlinks of them in one resolution
// (-ELOOP); a trailing slash makes the last component a directory (-ENOTDIR), following a link
// there; components longer than kNameMax are -ENAMETOOLONG (the callers bound the whole path).
// Permissions are not checked on the way: every process is root, which may search any
// directory.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"
#include "linuxcompat/fs/directory.h"

namespace hmk::lx::fs {

enum class Follow : uint8_t { kNo, kYes };  // a final symbolic link
enum class LastKind : uint8_t { kNormal, kDot, kDotDot, kRoot };

// A path walked up to its last component (Linux's nameidata after link_path_walk): what the
// calls that create and remove names work on.
struct Parent {
  InodeRef dir;     // a Directory
  StringView last;  // the last component; empty for kRoot ("/")
  LastKind kind = LastKind::kRoot;
  bool trailing_slash = false;
  InodeRef text_owner;  // the symbolic link whose target `last` lies in, if any
};

// The process's root (its chroot; the file system's root) and working directory.
InodeRef root_of(Process& process);
InodeRef working_directory_of(Process& process);

// `path` (not empty) from `start` (a directory) to the inode it names: 0 and *out, or -errno.
int64_t resolve(Process& process, Inode* start, StringView path, Follow follow, InodeRef* out);
// `path` (not empty) from `start` up to its last component, which is not looked up.
int64_t resolve_parent(Process& process, Inode* start, StringView path, Parent* out);
// The last component of `parent`: the inode it names, following a final symbolic link if
// `follow` says so or the path ends in a slash. Continues the budget of `links`.
int64_t lookup_last(Process& process, Parent* parent, Follow follow, uint32_t* links,
                    InodeRef* out);
int64_t walk_to_parent(Process& process, Inode* start, StringView path, uint32_t* links,
                       Parent* out);

// The absolute path of `dir` seen from `root` (the process's), NUL-terminated in `out`: its
// length, or -ENOENT (removed) or -ERANGE (longer than capacity - 1).
int64_t directory_path(Inode* root, Directory* dir, char* out, size_t capacity);
// The path of the name `last` in `dir` (a "/"-joined directory_path), as open records it.
int64_t path_in(Inode* root, Directory* dir, StringView last, char* out, size_t capacity);

}  // namespace hmk::lx::fs
