// What the file system's handlers (syscalls_fs.cc: descriptors and I/O; syscalls_fs_paths.cc:
// names) share: paths copied in from the process, the directory a relative path starts from,
// the file an fd names.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"
#include "linuxcompat/fs/operations.h"
#include "linuxcompat/task.h"

namespace hmk::lx {

// A path copied from the process (at most kPathMax - 1 bytes and the NUL).
struct PathBuffer {
  char text[kPathMax];
  size_t length = 0;
  StringView view() const { return StringView(text, length); }
};

enum class EmptyPath : uint8_t { kRefused, kAllowed };  // AT_EMPTY_PATH

// Copies the path at `address`: 0, -EFAULT, -ENAMETOOLONG; an empty path is -ENOENT unless
// allowed.
int64_t copy_path(Task& task, uint64_t address, PathBuffer* out,
                  EmptyPath empty = EmptyPath::kRefused);

// The directory a relative `path` starts from: the working directory for AT_FDCWD, else
// `dirfd`'s (-EBADF, -ENOTDIR). An absolute path ignores dirfd, as in Linux.
int64_t start_of(Task& task, int32_t dirfd, StringView path, fs::InodeRef* out);

// The open file `fd` names, or nullptr. io_file() leaves out O_PATH files, which only fstat,
// fchdir, dup, fcntl, close and the *at calls (as dirfd) accept.
File* any_file(Task& task, int32_t fd);
File* io_file(Task& task, int32_t fd);

// What a *at call with AT_EMPTY_PATH or AT_SYMLINK_NOFOLLOW acts on: the inode `path` names
// from `dirfd` or, for an empty path with AT_EMPTY_PATH, dirfd's file (whose inode may be null:
// a pipe, a serial port).
struct Target {
  fs::InodeRef inode;
  File* file = nullptr;  // dirfd's file when the path was empty (the fd table holds it)
  bool empty_path = false;
};
// `flags`: AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW (others are the caller's to check); `follow`
// is the call's default for a final link.
int64_t lookup_at(Task& task, int32_t dirfd, uint64_t path, uint32_t flags, fs::Follow follow,
                  Target* out);

}  // namespace hmk::lx
