// A file system served by an HMK service, mounted into the shim's tree: the shim reaches it
// through the FileSystem interface (svc/ramfs/ramfs.capnp; vfs serves it in front of ramfs),
// over whatever transport the profile placed the service behind (another process, the shim's
// own, the kernel). This is HongMeng's path for files: the Linux personality translates, file
// systems are services. docs/linux.md, "Files in a service".
//
// The service keeps names, kinds, sizes, bytes, how many names a node has, and its attributes
// (permission bits, owner, group, times: each change says its time, the shim's fs::now(), and
// chmod, chown and utimensat are its setattr, stored before the inode changes); it knows
// nothing of Linux. The shim keeps one inode per node it has seen (looked up or made), shared by
// all the node's names and alive until its last name is removed through the shim, with the
// attributes the service answered and the shim's changes since, and the directory a directory
// was found in (for ".." and getcwd); its link count is the service's when the shim first finds
// the node, then follows the shim's own link, unlink and rename. A node changed by another
// client of the service is not noticed (the shim is its only client in the ./hmk exec profiles).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"
#include "linuxcompat/fs/directory.h"
#include "svc/lib/rpc.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::lx::fs {

class ServiceMount;

// A mount of the service behind `channel` (a FileSystem; its "/" is the mount's root): its root
// directory, with one reference for the caller, or nullptr with *error set (-EIO if the service
// does not answer, -ENOMEM).
Directory* make_service_root(const rpc::Channel& channel, uint64_t dev, int64_t* error);
// Lets the mount's inodes go (fs::shutdown): each lives on while something else holds it.
void unmount_service(Directory* root);

// The service's directories. Names are made and removed through the service; the calls on names
// (operations.cc) come here for a directory of a served superblock (Superblock::served).
class ServiceDirectory final : public Directory {
 public:
  ~ServiceDirectory() override;

  int64_t lookup(Process& process, StringView name, InodeRef* out) override;
  // lookup without a caller (the service's lookups need none).
  int64_t find(StringView name, InodeRef* out);
  bool next(uint64_t after, DirEntry* out) override;
  uint64_t size() const override;

  // A new file or directory `name` (free: the caller checked) with `permissions`; 0 and *out,
  // or -errno (-ENOSPC when the service is full, -ENAMETOOLONG past its path limit).
  int64_t create(StringView name, bool directory, uint32_t permissions, InodeRef* out);
  // A new symbolic link `name` (free: the caller checked) to `target` (1 to kPathMax - 1
  // bytes): 0 or -errno, nothing made on failure.
  int64_t make_symlink(StringView name, StringView target);
  // Removes `name`, which names `child` (a file, a link, or an empty directory): 0 or -errno.
  // The node lives on while it has other names. A file whose last name this is and that
  // something still holds open keeps its bytes: it moves to a hidden name in the mount's root and
  // goes from the service with its last reference (as NFS clients do).
  int64_t remove(StringView name, Inode* child);
  // A new name `name` (free: the caller checked) for `inode`, a file or symbolic link of this
  // mount that still has a name: 0 or -errno (-ENOSPC when the service has no name left).
  int64_t link(StringView name, Inode* inode);
  // Whether the directory has no entries: 1, 0, or -errno.
  int64_t empty();
  // rename: `source` from `from`/`from_name` to `to`/`to_name`, replacing `target` if not null
  // (the caller made Linux's checks: same mount, kinds match, an empty directory, and `source`
  // and `target` are not one inode). A target with other names only loses this one.
  static int64_t rename(ServiceDirectory* from, StringView from_name, ServiceDirectory* to,
                        StringView to_name, Inode* source, Inode* target);

  // Mounts `fs_root`, another file system's root, over the entry `name` (a directory of the
  // service) of the mount's root, taking the caller's reference: lookups of `name` find it, as
  // /dev and /proc cover their directories in a root served by vfs (filesystem.cc). `name`'s
  // bytes must outlive the directory (a literal). 0, or -EINVAL (not the mount's root, or no
  // room: kMaxCovers) with the reference dropped.
  int64_t cover(StringView name, Directory* fs_root);

  // The names this directory has looked up or made lately (kCacheSlots of them), so that a path the
  // shim resolved before costs no call: the shim is the service's only client, and every name
  // it removes or moves leaves the cache first. The inodes are not counted references: the
  // mount holds one for each while it has a name (ServiceMount), and unmount clears the caches.
  void forget_name(StringView name);
  void clear_cache();

  uint64_t node() const { return node_; }
  // A name no process may make or reach: in the mount's root, the hidden files' (".hmk-unlinked-"
  // and a node number): lookups find nothing, making one is -EPERM.
  bool reserved(StringView name) const;
  ServiceMount& mount() const { return mount_; }

 private:
  friend class ServiceMount;
  // `name` (not copied: name_ holds it) in `parent`, which the directory holds a reference to;
  // both null for the mount's root.
  ServiceDirectory(ServiceMount& mount, uint64_t node, uint32_t permissions,
                   ServiceDirectory* parent, char* name, size_t length);

  static constexpr uint32_t kMaxCovers = 2;
  struct Cover {
    StringView name;
    Directory* root;  // one reference
  };
  static constexpr uint32_t kCacheSlots = 8;
  static constexpr size_t kCachedNameMax = 63;  // longer names are looked up every time
  struct Cached {
    Inode* inode;  // null: a free slot
    uint8_t length;
    char name[kCachedNameMax];
  };

  // The cached inode of `name`, or null; remember() adds one (replacing the oldest entry).
  Inode* cached(StringView name) const;
  void remember(StringView name, Inode* inode);

  ServiceMount& mount_;
  const uint64_t node_;
  Cover covers_[kMaxCovers] = {};
  uint32_t cover_count_ = 0;
  Cached cache_[kCacheSlots] = {};  // in the directory: remembering a name cannot fail
  uint32_t cache_next_ = 0;         // the slot remember() fills next
  ServiceDirectory* up_;            // the parent held (null for the root)
  char* name_;                      // the bytes attach() points at (null for the root)
  // The last page of the listing the service gave, from its cookie listed_from_, valid while the
  // mount's change count is listed_changes_ (getdents asks for one entry at a time).
  svc::fs::FileSystem::ListResponse listing_;
  uint64_t listed_from_ = 0;
  uint64_t listed_changes_ = ~0ull;
};

// MAP_SHARED of `file`, a service's regular file: mappings need memory that every mapping and
// every read and write of the file meet, and the service's bytes are out of reach (another
// address space, behind calls). So on its first shared mapping the file's bytes move into memory
// of the shim's, a RegularInode made for it (*out: the file keeps the reference; the mappings
// take their own), which holds them while a mapping lasts: reads come from it, writes and
// truncates make room in it, go to the service, then to it, and what stores through the
// mappings change goes back to the service with fsync, fdatasync, msync(MS_SYNC), at unmount
// and when the last mapping goes, which lets the memory go (Inode::flush: each chunk that
// differs from the service's; there is no dirty tracking). 0, or -ENOMEM, -ENOSPC (the shim's
// budget for file data), or the service's read error.
int64_t share_service_file(Inode& file, RegularInode** out);
// A MAP_SHARED of `file` that failed: if nothing maps the memory share_service_file moved its
// bytes to, they are written back and the memory goes (the file is as before its first mapping).
void unshare_service_file(Inode& file);

// Lets go of the copies of programs the service's files keep for execve (ProgramImage): the
// program has ended (ic0's heap report counts what is still held after it).
void drop_program_images();

// The directory `dir` as a ServiceDirectory, or nullptr if it is not a served one.
ServiceDirectory* as_service_directory(Inode* dir);

}  // namespace hmk::lx::fs
