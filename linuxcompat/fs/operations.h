// The file system calls on names, as Linux's VFS does them (fs/namei.c, fs/open.c): open,
// mkdir, symlink, link, unlink, rmdir, rename, readlink, truncate, access. The handlers
// (linuxcompat/syscalls_fs.cc) copy paths in from the process and pass them here with the
// directory relative paths start from (the working directory or a dirfd's); every check comes
// before the first change. Each returns 0 (or a count) or -errno.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"
#include "linuxcompat/fs/path.h"

namespace hmk::lx::fs {

// open and openat: `flags` as open's, `mode` for O_CREAT and O_TMPFILE (less the process's
// umask). *out is the new File (one reference).
int64_t open(Process& process, Inode* start, StringView path, uint32_t flags, uint32_t mode,
             File** out);

int64_t make_directory(Process& process, Inode* start, StringView path, uint32_t mode);
int64_t make_symlink(Process& process, StringView target, Inode* start, StringView path);
// A new name `path` for `inode` (linkat resolved the old name, or took a dirfd's inode).
int64_t make_link(Process& process, Inode* inode, Inode* start, StringView path);
int64_t unlink(Process& process, Inode* start, StringView path);
int64_t remove_directory(Process& process, Inode* start, StringView path);
// renameat2; `flags` RENAME_NOREPLACE (RENAME_EXCHANGE and RENAME_WHITEOUT are -EINVAL).
int64_t rename(Process& process, Inode* old_start, StringView old_path, Inode* new_start,
               StringView new_path, uint32_t flags);

// A symbolic link's text (not NUL-terminated), at most `capacity` bytes of it: the count, or
// -EINVAL if `inode` is not a link.
int64_t read_link(Inode* inode, char* out, size_t capacity);
// truncate by name: -EISDIR, -EINVAL for what is not a regular file, -EFBIG, -ENOSPC.
int64_t truncate(Inode* inode, int64_t length);
// access: `mode` R_OK | W_OK | X_OK (checked by the caller). Root may read and write
// anything; executing needs an execute bit (directories: searching, always allowed).
int64_t access(Inode* inode, uint32_t mode);

}  // namespace hmk::lx::fs
