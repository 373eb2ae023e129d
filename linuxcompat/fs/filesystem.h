// The file system tree the shim serves to its Linux processes: a root filled from the initrd,
// with /tmp, devtmpfs at /dev and proc at /proc. The root is HMK's vfs service where the profile
// has one for the shim (init_on_service: HongMeng's split, the file system a service, the shim
// translating), else a tmpfs of the shim's own (init_from_initrd, as gVisor's sentry keeps its
// own). docs/linux.md, "Files".
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/cpio.h"
#include "core/lib/string.h"
#include "linuxcompat/fs/directory.h"
#include "svc/lib/rpc.h"

namespace hmk::lx {
class Task;
}

namespace hmk::lx::fs {

// Builds the tree, replacing any built before: every entry of `initrd` (directories, regular
// files and symbolic links, with their permissions; a regular file's bytes stay the initrd's,
// which must outlive the tree, until it is first changed), missing parent directories (0755),
// /tmp (1777) if the initrd has none, and the mounts /dev and /proc (which hide an initrd's
// /dev and /proc). The boot's own files, those the initrd's hmk/exec.boot names a line each
// (./hmk exec: the manifest, the shim, the services' programs), are left out, here and in
// init_on_service. 0 or -errno.
int64_t init_from_initrd(const CpioArchive& initrd);
// Builds the tree, replacing any built before, on the file system the service behind `channel`
// serves (a FileSystem: vfs): its "/" is the tree's root (service_fs.h), filled from `initrd` as
// init_from_initrd fills tmpfs, the bytes copied into the service; /tmp (1777) made if missing;
// devtmpfs and proc mounted over its /dev and /proc (made if missing, hiding what was there).
// An entry the service cannot hold (a name or path past its limits, no space, a link target out
// of range) is left out and passed to `skipped` with its -errno. 0, or -errno: -EINVAL (no
// channel), -EIO (the service does not answer or fails part way), -ENOMEM.
int64_t init_on_service(const CpioArchive& initrd, const rpc::Channel& channel,
                        void (*skipped)(StringView name, int64_t error));
// Mounts the file system the service behind `channel` serves (a FileSystem: vfs, ramfs) as the
// root's entry `name` (one component), hiding what the initrd had there (service_fs.h). 0,
// -EINVAL (no tree yet, a service already mounted, no channel), -EIO (the service does not
// answer), -ENOMEM.
int64_t mount_service(StringView name, const rpc::Channel& channel);
// Where the service is mounted ("vfs": the root's entry), or empty (none, or it is the root:
// root_served).
StringView service_mount_point();
// Whether the root is a service's (init_on_service).
bool root_served();
// Drops the tree (host tests); what processes still hold lives on until they let go.
void shutdown();
// The root directory (nullptr before init_from_initrd or init_on_service).
Directory* root();

// The program execve runs: `path` resolved from the task's working directory, following
// symbolic links. 0 with the bytes, contiguous (ContiguousBytes: valid until the next change of
// the file system), or -errno: -EACCES unless it is a regular file with an execute bit, -ENOMEM
// if a shared file's bytes cannot be copied. With `file`, also a reference to the file, which
// keeps it while the shim's lock is released (its bytes may move meanwhile if it is written:
// ContiguousBytes::take again).
int64_t resolve_executable(Task& task, StringView path, ContiguousBytes* bytes,
                           InodeRef* file = nullptr);

// The file systems' device numbers (st_dev).
inline constexpr uint64_t kRootDevice = make_device(0, 20);
inline constexpr uint64_t kDevDevice = make_device(0, 5);
inline constexpr uint64_t kProcDevice = make_device(0, 21);
inline constexpr uint64_t kServiceDevice = make_device(0, 22);

// Built by devices.cc and procfs.cc for init_from_initrd: their file systems' roots (nullptr
// when out of memory).
Directory* make_dev_root(Superblock& sb);
Directory* make_proc_root(Superblock& sb);

}  // namespace hmk::lx::fs
