// The tree: the initrd imported into a tmpfs root, /tmp, and the mounts of /dev and /proc.
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

}  // namespace

int64_t init_from_initrd(const CpioArchive& initrd) {
  auto* top = new (kFallible) MemDirectory(g_rootfs, 0755);
  if (top == nullptr) return -kENOMEM;
  g_import_failed = false;
  for (const CpioEntry& e : initrd)
    import(top, e);
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
