// The tree: the initrd imported into a root, tmpfs or a service's (vfs), /tmp, and the mounts of
// /dev and /proc.
#include "linuxcompat/fs/filesystem.h"

#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/path.h"
#include "linuxcompat/fs/service_fs.h"
#include "linuxcompat/task.h"

namespace hmk::lx::fs {
namespace {

Superblock g_rootfs = {"tmpfs", kRootDevice, true};
Superblock g_devfs = {"devtmpfs", kDevDevice, true};
Superblock g_procfs = {"proc", kProcDevice, false};
Directory* g_root = nullptr;    // one reference (a plain pointer: no static destructors here)
Directory* g_served = nullptr;  // the service's mount root (g_root's entry holds it), or null

// Set when an entry of the initrd could not be imported for lack of memory.
bool g_import_failed = false;

// The directory `name` in `dir`, made (0755) if missing; nullptr if something else is there
// (or out of memory: g_import_failed).
MemDirectory* subdirectory(MemDirectory* dir, StringView name) {
  Inode* found = dir->find(name);
  if (found == nullptr) {
    auto* made = new (kFallible) MemDirectory(g_rootfs, 0755);
    if (dir->adopt(name, made) == 0) return made;
    g_import_failed = true;
    return nullptr;
  }
  Directory* d = as_directory(found);
  return d != nullptr ? d->changeable() : nullptr;
}

// A new inode for an archive entry, or nullptr for a kind the root does not hold (or out of
// memory: g_import_failed).
Inode* inode_for(const CpioEntry& e) {
  const uint32_t permissions = e.mode & kPermissionBits;
  Inode* made = nullptr;
  if (is_directory(e)) {
    made = new (kFallible) MemDirectory(g_rootfs, permissions);
  } else if (is_regular_file(e)) {
    made = new (kFallible) RegularInode(g_rootfs, permissions, e.data, e.size);
  } else if (is_symlink(e)) {
    const StringView target(reinterpret_cast<const char*>(e.data), e.size);
    if (target.empty() || target.size() >= kPathMax) return nullptr;
    made = SymlinkInode::create(g_rootfs, target);
  } else {
    return nullptr;  // devices, FIFOs, sockets: devtmpfs provides the devices
  }
  if (made == nullptr) g_import_failed = true;
  return made;
}

// The next component of `rest` ("." and empty ones skipped) into *name; false at the end.
bool next_component(StringView* rest, StringView* name) {
  for (;;) {
    while (rest->starts_with('/'))
      rest->remove_prefix(1);
    if (rest->empty()) return false;
    size_t end = rest->find('/');
    if (end == StringView::kNpos) end = rest->size();
    *name = rest->substr(0, end);
    rest->remove_prefix(end);
    if (!(*name == ".")) return true;
  }
}

// One archive entry into the tree; entries that cannot be placed are skipped (a component
// "..", a parent that is not a directory, a kind the root does not hold).
void import(MemDirectory* top, const CpioEntry& e) {
  StringView rest = cpio_normalize_path(e.name);
  StringView name;
  if (!next_component(&rest, &name)) {  // the root itself
    if (is_directory(e)) (void)top->set_permissions(e.mode);
    return;
  }
  MemDirectory* dir = top;
  for (;;) {
    if (name == ".." || name.size() > kNameMax) return;
    StringView following;
    if (!next_component(&rest, &following)) break;
    dir = subdirectory(dir, name);
    if (dir == nullptr) return;
    name = following;
  }
  Inode* old = dir->find(name);
  if (old != nullptr && old->is_directory() && is_directory(e)) {
    (void)old->set_permissions(e.mode);  // directories merge
    return;
  }
  Inode* made = inode_for(e);
  if (made == nullptr) return;
  if (old != nullptr) dir->remove(name);  // the last entry of a name wins, as in initramfs
  if (dir->adopt(name, made) == -kENOMEM) g_import_failed = true;
}

// `fs_root` as the root's entry `name`: a mount, hiding what the initrd had there. 0 or -errno.
int64_t mount(MemDirectory* top, StringView name, Directory* fs_root) {
  if (top->find(name) != nullptr) top->remove(name);
  return top->adopt(name, fs_root);
}

// The initrd's list of the boot's own files (hmk/exec.boot: the manifest, the shim, the
// services' programs, one name a line, as ./hmk exec writes it), or empty.
StringView boot_files(const CpioArchive& initrd) {
  Result<CpioEntry> list = initrd.find("hmk/exec.boot");
  return list.ok() ? StringView(reinterpret_cast<const char*>(list->data), list->size)
                   : StringView();
}

// Whether `e` is one of the boot's own files, which the Linux programs' tree leaves out.
bool boot_file(StringView list, const CpioEntry& e) {
  const StringView name = cpio_normalize_path(e.name);
  while (!list.empty()) {  // bound: each round takes a line off the list
    size_t end = list.find('\n');
    if (end == StringView::kNpos) end = list.size();
    if (list.substr(0, end) == name) return true;
    list.remove_prefix(end < list.size() ? end + 1 : end);
  }
  return false;
}

// ---- a root served by vfs ----

// The directory `name` in `dir`, made (with `permissions`) if missing; a non-directory there is
// -ENOTDIR. 0 and *out, or -errno.
int64_t served_subdirectory(ServiceDirectory* dir, StringView name, uint32_t permissions,
                            InodeRef* out) {
  if (int64_t e = dir->find(name, out); e != -kENOENT) {
    return e != 0 ? e : (*out)->is_directory() ? 0 : -kENOTDIR;
  }
  return dir->create(name, true, permissions, out);
}

// A regular file or symbolic link for `e` as `name` in `dir` (free): 0 or -errno.
int64_t served_node(ServiceDirectory* dir, StringView name, const CpioEntry& e) {
  if (is_symlink(e)) {
    const StringView target(reinterpret_cast<const char*>(e.data), e.size);
    if (target.empty() || target.size() >= kPathMax) return -kEINVAL;
    return dir->make_symlink(name, target);
  }
  InodeRef file;
  if (int64_t e2 = dir->create(name, false, e.mode & kPermissionBits, &file); e2 != 0) return e2;
  const int64_t wrote = e.size > 0 ? file->write(e.data, e.size, 0) : 0;
  if (wrote == static_cast<int64_t>(e.size)) return 0;
  (void)dir->remove(name, file.get());  // nothing half made stays
  return wrote < 0 ? wrote : -kENOSPC;
}

// One archive entry into the served tree, as import() puts one into tmpfs: 0, or -errno for an
// entry that could not be placed (reported by the caller). Devices, FIFOs and sockets are
// skipped (devtmpfs provides the devices).
int64_t import_served(ServiceDirectory* top, const CpioEntry& e) {
  if (!is_directory(e) && !is_regular_file(e) && !is_symlink(e)) return 0;
  StringView rest = cpio_normalize_path(e.name);
  StringView name;
  if (!next_component(&rest, &name)) {  // the root itself
    return is_directory(e) ? top->set_permissions(e.mode) : 0;
  }
  InodeRef dir(top);
  for (;;) {
    if (name == "..") return -kEINVAL;
    if (name.size() > kNameMax) return -kENAMETOOLONG;
    StringView following;
    if (!next_component(&rest, &following)) break;
    InodeRef next;
    if (int64_t err = served_subdirectory(as_service_directory(dir.get()), name, 0755, &next);
        err != 0) {
      return err;
    }
    dir = move(next);
    name = following;
  }
  ServiceDirectory* parent = as_service_directory(dir.get());
  if (parent == nullptr) return -kEINVAL;  // a cover (dev, proc) on the way
  InodeRef old;
  if (int64_t err = parent->find(name, &old); err != 0 && err != -kENOENT) return err;
  if (old && old->is_directory() && is_directory(e)) return old->set_permissions(e.mode);
  if (old) {  // the last entry of a name wins, as in initramfs
    if (int64_t err = parent->remove(name, old.get()); err != 0) return err;
  }
  if (is_directory(e)) {
    InodeRef made;
    return parent->create(name, true, e.mode & kPermissionBits, &made);
  }
  return served_node(parent, name, e);
}

// `fs_root` over the served root's directory `name` (a literal), made if missing and put in
// place of anything else there: a mount, hiding what the initrd had there, as mount() does in
// tmpfs. 0 or -errno.
int64_t mount_over(ServiceDirectory* top, StringView name, Directory* fs_root) {
  if (fs_root == nullptr) return -kENOMEM;
  InodeRef old;
  int64_t e = top->find(name, &old);
  if (e == 0 && !old->is_directory()) {
    e = top->remove(name, old.get());
    if (e == 0) e = -kENOENT;
  }
  if (e == -kENOENT) e = top->create(name, true, 0755, &old);
  if (e != 0) {
    fs_root->release();
    return e;
  }
  return top->cover(name, fs_root);
}

}  // namespace

int64_t init_on_service(const CpioArchive& initrd, const rpc::Channel& channel,
                        void (*skipped)(StringView name, int64_t error)) {
  if (channel.kind() == rpc::Channel::Kind::kNone) return -kEINVAL;
  int64_t e = 0;
  Directory* served = make_service_root(channel, kServiceDevice, &e);
  if (served == nullptr) return e;
  auto* top = as_service_directory(served);
  const StringView boot = boot_files(initrd);
  for (const CpioEntry& entry : initrd) {
    if (boot_file(boot, entry)) continue;
    if (const int64_t err = import_served(top, entry); err != 0) {
      if (err == -kENOMEM || err == -kEIO) e = err;  // the service or the shim gave out
      if (e != 0) break;
      skipped(cpio_normalize_path(entry.name), err);
    }
  }
  InodeRef dir;
  if (e == 0) {
    e = top->find("tmp", &dir);
    if (e == -kENOENT) e = top->create("tmp", true, kSIsvtx | 0777, &dir);
  }
  if (e == 0) e = mount_over(top, "dev", make_dev_root(g_devfs));
  if (e == 0) e = mount_over(top, "proc", make_proc_root(g_procfs));
  if (e != 0) {
    unmount_service(served);
    served->release();
    return e;
  }
  shutdown();
  g_root = served;
  g_served = served;
  return 0;
}

int64_t init_from_initrd(const CpioArchive& initrd) {
  auto* top = new (kFallible) MemDirectory(g_rootfs, 0755);
  if (top == nullptr) return -kENOMEM;
  g_import_failed = false;
  const StringView boot = boot_files(initrd);
  for (const CpioEntry& e : initrd) {
    if (!boot_file(boot, e)) import(top, e);
  }
  int64_t e = g_import_failed ? -kENOMEM : 0;
  if (e == 0 && top->find("tmp") == nullptr) {
    e = top->adopt("tmp", new (kFallible) MemDirectory(g_rootfs, kSIsvtx | 0777));
  }
  if (e == 0) e = mount(top, "dev", make_dev_root(g_devfs));
  if (e == 0) e = mount(top, "proc", make_proc_root(g_procfs));
  if (e != 0) {
    top->release();
    return e;
  }
  shutdown();
  g_root = top;
  return 0;
}

int64_t mount_service(StringView name, const rpc::Channel& channel) {
  MemDirectory* top = g_root != nullptr ? g_root->changeable() : nullptr;
  if (top == nullptr || g_served != nullptr || channel.kind() == rpc::Channel::Kind::kNone) {
    return -kEINVAL;
  }
  int64_t e = 0;
  Directory* served = make_service_root(channel, kServiceDevice, &e);
  if (served == nullptr) return e;
  if (e = mount(top, name, served); e != 0) {
    unmount_service(served);
    return e;
  }
  g_served = served;
  return 0;
}

StringView service_mount_point() {
  return g_served != nullptr ? g_served->name() : StringView();
}

bool root_served() {
  return g_root != nullptr && g_root == g_served;
}

void shutdown() {
  if (g_served != nullptr) unmount_service(g_served);
  g_served = nullptr;
  if (g_root != nullptr) g_root->release();
  g_root = nullptr;
}

Directory* root() {
  return g_root;
}

int64_t resolve_executable(Task& task, StringView path, ContiguousBytes* bytes,
                           InodeRef* file_ref) {
  if (path.empty()) return -kENOENT;
  if (path.size() >= kPathMax) return -kENAMETOOLONG;
  Process& process = task.process;
  InodeRef inode;
  const InodeRef cwd = working_directory_of(process);
  if (int64_t e = resolve(process, cwd.get(), path, Follow::kYes, &inode); e != 0) return e;
  // The file systems' own regular files, and a service's (service_fs.h): not /proc's.
  Inode* file = inode.get();
  const bool has_bytes =
      file->as_regular() != nullptr || (file->is_regular() && file->superblock().served);
  if (!has_bytes || (file->mode() & kExecuteBits) == 0) return -kEACCES;
  file->accessed();
  if (int64_t e = bytes->take(*file); e != 0) return e;
  if (file_ref != nullptr) *file_ref = inode;
  return 0;
}

}  // namespace hmk::lx::fs
