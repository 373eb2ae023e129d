// A file system served by an HMK service (service_fs.h): its directories and regular files as
// the shim's inodes, each call on them a FileSystem call.
#include "linuxcompat/fs/service_fs.h"

#include "core/lib/format.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/open_file.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::lx::fs {
namespace {

using Service = svc::fs::FileSystem;
using ServicePath = rpc::Text<256>;

constexpr uint32_t kFilePermissions = 0644;  // the memory of a shared file (no name reaches it)
// The most a read or write carries (the interface's largest Data, what fits in a message).
constexpr uint64_t kChunk = decltype(Service::WriteRequest::data)::kMax;
static_assert(kChunk == decltype(Service::ReadResponse::data)::kMax);
// The most bytes the service's files keep as program images (ServiceFile::program_image) in all;
// past it a program's copy is its runner's alone.
constexpr uint64_t kImagesKept = 32ull << 20;
uint64_t g_images_kept = 0;
class ServiceFile;
ServiceFile* g_image_files = nullptr;  // the files that keep one, through ServiceFile::next_image_
// Where a file whose last name is removed while it is open lives on (as NFS clients do, with
// .nfsXXXX): "/.hmk-unlinked-" and its node in hex, in the mount's root, hidden from listings.
constexpr char kHiddenPrefix[] = ".hmk-unlinked-";
// The superblock of the memory that shared files' bytes move to (ServiceFile::share): no name
// reaches its inodes.
Superblock g_shared_files{"hmk.vfs", 0, false};

// The service path of a hidden file.
void hidden_path(uint64_t node, ServicePath* out) {
  out->size = static_cast<uint32_t>(snformat(out->data, ServicePath::kMax, "/%s%lx", kHiddenPrefix,
                                             static_cast<unsigned long>(node)));
}

// A service's answer as Linux's error. `too_long` is kTooLong's: a name past the service's
// limit (-ENAMETOOLONG), or a file past its size limit (-EFBIG).
int64_t error_of(rpc::Status s, int64_t too_long = -kENAMETOOLONG) {
  switch (s) {
    case rpc::Status::kOk:
      return 0;
    case rpc::Status::kInvalidArgument:
      return -kEINVAL;
    case rpc::Status::kNotFound:
      return -kENOENT;
    case rpc::Status::kExists:
      return -kEEXIST;
    case rpc::Status::kNotDirectory:
      return -kENOTDIR;
    case rpc::Status::kIsDirectory:
      return -kEISDIR;
    case rpc::Status::kNotEmpty:
      return -kENOTEMPTY;
    case rpc::Status::kNoSpace:
      return -kENOSPC;
    case rpc::Status::kBadHandle:
      return -kESTALE;  // the node is gone (removed by its last name)
    case rpc::Status::kTooLong:
      return too_long;
    case rpc::Status::kWouldBlock:
      return -kEAGAIN;
    case rpc::Status::kUnsupported:
      return -kEOPNOTSUPP;
    case rpc::Status::kBadMethod:
    case rpc::Status::kBadMessage:
    case rpc::Status::kMissingCapability:
    case rpc::Status::kNoService:
    case rpc::Status::kTransport:
    case rpc::Status::kIo:
      return -kEIO;  // the service, or the way to it, failed
  }
  return -kEIO;
}

// A time as the service keeps it (nanoseconds since the epoch), and back.
// Clamped to what 64 bits of nanoseconds hold (years 1677 to 2262), as Linux clamps a time to
// its file system's range.
int64_t ns_of(Timespec t) {
  constexpr int64_t kNs = 1'000'000'000;
  if (t.sec >= INT64_MAX / kNs) return INT64_MAX;
  if (t.sec <= INT64_MIN / kNs) return INT64_MIN;
  return t.sec * kNs + t.nsec;
}

Timespec time_of(int64_t ns) {
  int64_t sec = ns / 1'000'000'000;
  int64_t nsec = ns % 1'000'000'000;
  if (nsec < 0) {  // before the epoch: the second below, nanoseconds up from it
    sec -= 1;
    nsec += 1'000'000'000;
  }
  return {sec, nsec};
}

// The attributes the service keeps, as the shim's inodes have them.
Attributes attributes_of(const svc::fs::NodeInfo& info) {
  return {info.mode & kPermissionBits, info.uid,           info.gid, time_of(info.atime),
          time_of(info.mtime),         time_of(info.ctime)};
}

}  // namespace

// What the inodes of one mount share: the superblock (whose attributes go to the service: the
// mount is its AttributeStore), the client, and the inodes the shim has seen, one reference each
// (so that a directory's place in the tree and a file's open state stay). It goes when it is
// unmounted and its last inode has gone.
class ServiceMount final : public AttributeStore {
 public:
  ServiceMount(const rpc::Channel& channel, uint64_t dev)
      : sb{"hmk.vfs", dev, true, true}, client(channel) {
    sb.attributes = this;
  }

  // The inode of the node `info` describes: the one seen before (by any of its names), else a
  // new one found in `parent` under `name` (a directory's ".."), with the attributes `info`
  // has and, for a file or link, the service's count of its names.
  int64_t inode_for(const svc::fs::NodeInfo& info, ServiceDirectory* parent, StringView name,
                    InodeRef* out);
  // chmod, chown, utimensat of `inode`, one of the mount's (Inode::set_permissions): every
  // attribute stored in the service (setattr).
  int64_t store(Inode& inode, Attributes* to) override;
  // The service's attributes of `inode` set back to the shim's (a change the service stamped
  // that the shim's inode did not take: a hidden file's name in the root, a write-back's
  // ctime). Nothing to tell anyone if it fails.
  void restore(Inode& inode) {
    Attributes same = inode.attributes();
    (void)store(inode, &same);
  }
  // The mount's root directory (make_service_root), which hidden files' names change.
  Inode* root = nullptr;
  // A node whose last name was removed through the shim: its inode is let go (what holds it
  // keeps it).
  void forget(Inode* inode);
  void unmount();
  // Whether the mount still holds the inodes it made (unmount lets them go).
  bool mounted() const { return !unmounted_; }
  void inode_made() { ++live_; }
  void inode_gone() {
    if (--live_ == 0 && unmounted_) delete this;
  }

  Superblock sb;
  const Service::Client client;
  // Advanced by every change made through the shim: a directory's listing cache is valid for
  // one value.
  uint64_t changes = 0;

 private:
  Inode* find(uint64_t node) const {
    for (uint32_t i = 0; i < count_; ++i) {
      if (known_[i]->ino() == node) return known_[i];
    }
    return nullptr;
  }
  int64_t remember(Inode* inode);

  Inode** known_ = nullptr;
  uint32_t count_ = 0;
  uint32_t capacity_ = 0;
  uint32_t live_ = 0;  // inodes alive, plus one while unmount() lets them go
  bool unmounted_ = false;
};

namespace {

// Up to `length` bytes of `node` at `offset`, a chunk a call: the count (short at the end), or
// -errno if the first call fails.
int64_t read_node(const Service::Client& client, uint64_t node, uint8_t* out, uint64_t length,
                  uint64_t offset) {
  uint64_t done = 0;
  while (done < length) {  // bound: each round reads a chunk or ends
    Service::ReadRequest req;
    req.node = node;
    req.offset = offset + done;
    req.length = static_cast<uint32_t>(min(length - done, kChunk));
    Service::ReadResponse resp;
    if (const rpc::Status s = client.read(req, resp); s != rpc::Status::kOk) {
      return done > 0 ? static_cast<int64_t>(done) : error_of(s);
    }
    const uint32_t got = min(resp.data.size, req.length);  // never more than asked for
    mem_copy(out + done, resp.data.data, got);
    done += got;
    if (got < req.length) break;  // the end of the file
  }
  return static_cast<int64_t>(done);
}

// A regular file of the service: its bytes are the service's (RegularFile reaches them here).
class ServiceFile final : public Inode {
 public:
  // `size`: the service's answer when the shim found it (it then follows its own changes).
  ServiceFile(ServiceMount& mount, uint64_t node, uint32_t permissions, uint64_t size)
      : Inode(mount.sb, kSIfreg | permissions, 0, node), mount_(mount), size_(size) {
    mount_.inode_made();
  }
  // A hidden file (hide()) goes from the service with its last reference. Mappings keep the
  // bytes they map (shared_), which no longer belong to a file.
  ~ServiceFile() override {
    forget_image();
    if (shared_ != nullptr) {
      shared_->set_cache_for(nullptr);
      shared_->release();
    }
    if (hidden_) {
      Service::RemoveRequest req;
      hidden_path(ino(), &req.path);
      req.time = ns_of(now());
      Service::RemoveResponse resp;
      (void)mount_.client.remove(req, resp);  // nothing to tell anyone if it fails
      // The hidden name was the shim's, not a change of the root the processes made.
      if (mount_.root != nullptr) mount_.restore(*mount_.root);
    }
    mount_.inode_gone();
  }

  // Its last name `path` is going while it is still open: the node moves to its hidden name
  // instead of going, and the bytes stay until the last reference goes. 0 or -errno.
  int64_t hide(const ServicePath& path, Timespec at) {
    Service::RenameRequest req;
    req.from = path;
    hidden_path(ino(), &req.to);
    req.time = ns_of(at);
    Service::RenameResponse resp;
    if (const rpc::Status s = mount_.client.rename(req, resp); s != rpc::Status::kOk) {
      return error_of(s);
    }
    hidden_ = true;
    return 0;
  }

  // The size the service has, kept by the shim from the writes and truncates it makes (it is
  // the service's only client), as an NFS client keeps attributes: no call for stat, fstat,
  // lseek(SEEK_END) or O_APPEND.
  uint64_t size() const override { return size_; }
  uint64_t allocated() const override { return align_up<uint64_t>(size_, 4096); }

  int64_t open(Process&, uint32_t flags, StringView path, File** out) override {
    return make_open_file<RegularFile>(out, this, flags, path);
  }

  int64_t read(uint8_t* out, uint64_t length, uint64_t offset) const override {
    if (shared_ != nullptr) return shared_->read(out, length, offset);
    return read_node(mount_.client, ino(), out, length, offset);
  }

  // The bytes read once from the service and kept until the file changes (kImagesKept in all):
  // execve of a program from a service reads it once, not at each run.
  int64_t program_image(ProgramImage** out) override {
    *out = nullptr;
    if (shared_ != nullptr) return 0;  // stores through mappings change it unseen: a copy a run
    if (image_ == nullptr) {
      ProgramImage* image = ProgramImage::make(size_);
      if (image == nullptr) return -kENOMEM;
      const int64_t got = read_node(mount_.client, ino(), image->bytes(), size_, 0);
      if (got != static_cast<int64_t>(size_)) {
        image->release();
        return got < 0 ? got : -kEIO;
      }
      if (g_images_kept + size_ > kImagesKept) {
        *out = image;  // not kept: the caller's alone
        return 0;
      }
      image_ = image;
      g_images_kept += size_;
      next_image_ = g_image_files;
      g_image_files = this;
    }
    image_->acquire();
    *out = image_;
    return 0;
  }

  // share_service_file: the memory the bytes move to on the first MAP_SHARED mapping (filled
  // from the service), made at least `length` bytes long. 0 and *out, or -errno (nothing
  // changed).
  int64_t share(uint64_t length, RegularInode** out) {
    forget_image();
    if (shared_ == nullptr) {
      auto* memory = new (kFallible) RegularInode(g_shared_files, kFilePermissions);
      if (memory == nullptr) return -kENOMEM;
      // The memory object first (no copy in the heap on the way), then the bytes, a page at a
      // time.
      int64_t e = memory->share(max(length, size_));
      uint8_t page[kPageSize];
      for (uint64_t at = 0; e == 0 && at < size_; at += kPageSize) {  // bound: size_ / 4 KiB
        const uint64_t want = min<uint64_t>(kPageSize, size_ - at);
        const int64_t got = read_node(mount_.client, ino(), page, want, at);
        e = got < 0 ? got : got != static_cast<int64_t>(want) ? -kEIO : 0;
        if (e == 0 && memory->write(page, want, at) != static_cast<int64_t>(want)) e = -kENOMEM;
      }
      if (e != 0) {
        memory->release();
        return e;
      }
      memory->set_cache_for(this);
      shared_ = memory;
    }
    if (int64_t e = shared_->share(length); e != 0) return e;
    *out = shared_;
    return 0;
  }

  // unshare_service_file, and the last mapping gone: the memory goes if only the file holds it
  // and its bytes are back in the service.
  void unmapped() override { unshare(); }
  void unshare() {
    if (shared_ == nullptr || shared_->references() != 1 || flush() != 0) return;
    shared_->set_cache_for(nullptr);
    shared_->release();
    shared_ = nullptr;
  }

  // Writes the shared bytes back to the service (Inode::flush): each chunk that differs from
  // the service's (nothing tracks which pages were stored to), so that an unchanged chunk costs
  // a read and a hole stays a hole.
  int64_t flush() override {
    if (shared_ == nullptr) return 0;
    bool wrote = false;
    for (uint64_t at = 0; at < size_; at += kChunk) {  // bound: size_ / kChunk rounds
      Service::WriteRequest req;
      req.node = ino();
      req.offset = at;
      req.time = ns_of(mtime());  // the service's times stay the shim's
      req.data.size = static_cast<uint32_t>(min(kChunk, size_ - at));
      if (shared_->read(req.data.data, req.data.size, at) != static_cast<int64_t>(req.data.size)) {
        return -kENOMEM;  // a page of the memory out of reach
      }
      Service::ReadRequest theirs;
      theirs.node = ino();
      theirs.offset = at;
      theirs.length = req.data.size;
      Service::ReadResponse bytes;
      if (const rpc::Status s = mount_.client.read(theirs, bytes); s != rpc::Status::kOk) {
        return error_of(s);
      }
      if (bytes.data.size == req.data.size &&
          mem_compare(bytes.data.data, req.data.data, req.data.size) == 0) {
        continue;
      }
      Service::WriteResponse resp;
      if (const rpc::Status s = mount_.client.write(req, resp); s != rpc::Status::kOk) {
        return error_of(s, -kEFBIG);
      }
      if (resp.written < req.data.size) return -kENOSPC;
      wrote = true;
    }
    // A write sets the service's ctime to its time, the mtime here: the ctime goes back to
    // the shim's (a store through a mapping changes no ctime until it is written back).
    if (wrote) mount_.restore(*this);
    return 0;
  }

  int64_t write(const uint8_t* data, uint64_t length, uint64_t offset) override {
    forget_image();
    // The shared bytes make room first, so that once the service has taken the bytes they can
    // only fail to follow when a page is out of reach (-ENOMEM; the service then has bytes the
    // shim's copy has not).
    if (shared_ != nullptr && offset < RegularInode::kMaxSize) {
      if (int64_t e = shared_->share(
              min(offset + min(length, RegularInode::kMaxSize), RegularInode::kMaxSize));
          e != 0) {
        return e;
      }
    }
    const Timespec at = now();
    uint64_t done = 0;
    while (done < length) {  // bound: each round writes a chunk or ends
      Service::WriteRequest req;
      req.node = ino();
      req.offset = offset + done;
      req.time = ns_of(at);
      req.data.size = static_cast<uint32_t>(min(length - done, kChunk));
      mem_copy(req.data.data, data + done, req.data.size);
      Service::WriteResponse resp;
      if (const rpc::Status s = mount_.client.write(req, resp); s != rpc::Status::kOk) {
        if (done > 0) break;
        return error_of(s, -kEFBIG);
      }
      const uint32_t wrote = min(resp.written, req.data.size);  // never more than it was given
      done += wrote;
      if (wrote < req.data.size) break;  // the service is full: a short write
    }
    if (done > 0) {
      // The shared bytes take what the service took (the service decides what fits).
      if (shared_ != nullptr && shared_->write(data, done, offset) != static_cast<int64_t>(done)) {
        return -kENOMEM;
      }
      size_ = max(size_, offset + done);
      contents_changed(at);
    }
    return static_cast<int64_t>(done);
  }

  // hide() undone: the file back at `path` (a rename that failed after hiding it).
  void unhide(const ServicePath& path) {
    Service::RenameRequest req;
    hidden_path(ino(), &req.from);
    req.to = path;
    req.time = ns_of(ctime());
    Service::RenameResponse resp;
    if (mount_.client.rename(req, resp) == rpc::Status::kOk) hidden_ = false;
  }

  // Whether something besides its names (the mount's one reference for all of them) and the
  // caller's reference holds it: an open file.
  bool open_elsewhere() const { return references() > 2; }

  int64_t truncate(uint64_t length) override {
    forget_image();
    if (shared_ != nullptr && length > size_ && length <= RegularInode::kMaxSize) {
      if (int64_t e = shared_->share(length); e != 0) return e;  // room first, as in write
    }
    const Timespec at = now();
    Service::TruncateRequest req;
    req.node = ino();
    req.size = length;
    req.time = ns_of(at);
    Service::TruncateResponse resp;
    if (const rpc::Status s = mount_.client.truncate(req, resp); s != rpc::Status::kOk) {
      return error_of(s, -kEFBIG);
    }
    if (shared_ != nullptr && shared_->truncate(length) != 0) return -kENOMEM;
    size_ = length;
    contents_changed(at);
    return 0;
  }

  void forget_image() {
    if (image_ == nullptr) return;
    g_images_kept -= image_->size();
    image_->release();  // runners of it keep theirs
    image_ = nullptr;
    ServiceFile** at = &g_image_files;
    while (*at != this)  // bound: the files that keep an image (kImagesKept bounds their bytes)
      at = &(*at)->next_image_;
    *at = next_image_;
  }
  ServiceFile* next_image() const { return next_image_; }

 private:
  ServiceMount& mount_;
  uint64_t size_;
  ProgramImage* image_ = nullptr;      // program_image's copy, one reference
  ServiceFile* next_image_ = nullptr;  // in g_image_files while image_ is set
  bool hidden_ = false;
  RegularInode* shared_ = nullptr;  // share(): the bytes from the first MAP_SHARED mapping on
};

// A symbolic link of the service: its target, read once when the shim first finds it (only the
// shim changes the service, and a link's target never changes).
class ServiceLink final : public SymlinkInode {
 public:
  // `target`: new[]'d, `length` bytes, the link's from now on.
  ServiceLink(ServiceMount& mount, uint64_t node, char* target, size_t length)
      : SymlinkInode(mount.sb, target, length, node), mount_(mount) {
    mount_.inode_made();
  }
  ~ServiceLink() override { mount_.inode_gone(); }

 private:
  ServiceMount& mount_;
};

// The regular files of a served superblock are ServiceFiles.
ServiceFile* as_service_file(Inode* inode) {
  return inode != nullptr && inode->is_regular() && inode->superblock().served
             ? static_cast<ServiceFile*>(inode)
             : nullptr;
}

// The service path of `last` in `dir` ("/a/b/last"; the directory's own when `last` is empty):
// 0, or -ENAMETOOLONG past the service's limit.
int64_t path_of(const ServiceDirectory* dir, StringView last, ServicePath* out) {
  StringView parts[ServicePath::kMax / 2 + 2];
  uint32_t count = 0;
  size_t length = 0;
  if (!last.empty()) {
    parts[count++] = last;
    length += last.size() + 1;
  }
  // bound: a service path has at most kMax / 2 components (each at least "/x")
  for (const Directory* d = dir;
       d != nullptr && d->parent() != nullptr && &d->parent()->superblock() == &dir->superblock();
       d = d->parent()) {
    if (count == sizeof(parts) / sizeof(parts[0])) return -kENAMETOOLONG;
    parts[count++] = d->name();
    length += d->name().size() + 1;
  }
  if (length > ServicePath::kMax) return -kENAMETOOLONG;
  if (count == 0) {
    out->data[0] = '/';
    out->size = 1;
    return 0;
  }
  out->size = 0;
  for (uint32_t i = count; i-- > 0;) {
    out->data[out->size++] = '/';
    mem_copy(out->data + out->size, parts[i].data(), parts[i].size());
    out->size += static_cast<uint32_t>(parts[i].size());
  }
  return 0;
}

// `req` with the attributes of a node the shim makes: `permissions`, owned by root (every
// process is), made `at`.
const Service::CreateRequest& with_attributes(Service::CreateRequest* req, uint32_t permissions,
                                              Timespec at) {
  req->mode = static_cast<uint16_t>(permissions & kPermissionBits);
  req->uid = 0;
  req->gid = 0;
  req->time = ns_of(at);
  return *req;
}

// The node `req` made, as the service would describe it: `size` bytes, one name.
svc::fs::NodeInfo made_info(const Service::CreateRequest& req, const Service::CreateResponse& resp,
                            uint64_t size) {
  svc::fs::NodeInfo info;
  info.node = resp.node;
  info.kind = req.kind;
  info.size = size;
  info.links = 1;
  info.mode = req.mode;
  info.uid = req.uid;
  info.gid = req.gid;
  info.atime = info.mtime = info.ctime = req.time;
  return info;
}

char* copy_name(StringView name) {
  char* copy = new (kFallible) char[name.size() + 1];
  if (copy == nullptr) return nullptr;
  mem_copy(copy, name.data(), name.size());
  copy[name.size()] = 0;
  return copy;
}

}  // namespace

int64_t ServiceMount::remember(Inode* inode) {
  if (count_ == capacity_) {
    const uint32_t capacity = capacity_ == 0 ? 16 : capacity_ * 2;
    auto** grown = new (kFallible) Inode*[capacity];
    if (grown == nullptr) return -kENOMEM;
    for (uint32_t i = 0; i < count_; ++i)
      grown[i] = known_[i];
    delete[] known_;
    known_ = grown;
    capacity_ = capacity;
  }
  inode->acquire();
  known_[count_++] = inode;
  return 0;
}

void ServiceMount::forget(Inode* inode) {
  for (uint32_t i = 0; i < count_; ++i) {
    if (known_[i] != inode) continue;
    known_[i] = known_[--count_];
    inode->release();
    return;
  }
}

int64_t ServiceMount::store(Inode& inode, Attributes* to) {
  to->atime = time_of(ns_of(to->atime));  // clamped, as the service keeps them
  to->mtime = time_of(ns_of(to->mtime));
  to->ctime = time_of(ns_of(to->ctime));
  // A directory removed through the shim has no node left: as Linux changes an unlinked
  // inode, only the shim's changes (an open fd of it, a working directory).
  if (inode.is_directory() && inode.nlink() == 0) return 0;
  Service::SetattrRequest req;
  req.node = inode.ino();  // the service's node id (ServiceFile, ServiceDirectory, ServiceLink)
  svc::fs::Attributes& change = req.change;
  change.set_mode = change.set_uid = change.set_gid = change.set_atime = change.set_mtime = true;
  change.mode = static_cast<uint16_t>(to->permissions);
  change.uid = to->uid;
  change.gid = to->gid;
  change.atime = ns_of(to->atime);
  change.mtime = ns_of(to->mtime);
  change.ctime = ns_of(to->ctime);
  Service::SetattrResponse resp;
  return error_of(client.setattr(req, resp));
}

int64_t ServiceMount::inode_for(const svc::fs::NodeInfo& info, ServiceDirectory* parent,
                                StringView name, InodeRef* out) {
  if (Inode* seen = find(info.node); seen != nullptr) {
    out->reset(seen);
    return 0;
  }
  Inode* made = nullptr;
  if (info.kind == svc::fs::NodeKind::kSymlink) {
    if (info.size == 0 || info.size >= kPathMax) return -kEIO;  // not a link the shim made
    char* target = new (kFallible) char[info.size];
    if (target == nullptr) return -kENOMEM;
    const int64_t got =
        read_node(client, info.node, reinterpret_cast<uint8_t*>(target), info.size, 0);
    if (got != static_cast<int64_t>(info.size)) {
      delete[] target;
      return got < 0 ? got : -kEIO;
    }
    made = new (kFallible) ServiceLink(*this, info.node, target, info.size);
    if (made == nullptr) delete[] target;
  } else if (info.kind == svc::fs::NodeKind::kDirectory) {
    char* copy = copy_name(name);
    if (copy == nullptr) return -kENOMEM;
    made = new (kFallible) ServiceDirectory(*this, info.node, info.mode, parent, copy, name.size());
    if (made == nullptr) delete[] copy;
  } else {
    made = new (kFallible) ServiceFile(*this, info.node, info.mode, info.size);
  }
  if (made == nullptr) return -kENOMEM;
  made->load_attributes(attributes_of(info));
  // From here the shim counts a file's or link's names itself (it is the service's only client).
  if (!made->is_directory()) made->set_nlink(max<uint32_t>(info.links, 1));
  *out = InodeRef::adopt(made);
  return unmounted_ ? 0 : remember(made);  // once unmounted, only its users hold an inode
}

void ServiceMount::unmount() {
  ++live_;         // the mount stays while its inodes go
  root = nullptr;  // it goes with the others
  for (uint32_t i = 0; i < count_; ++i) {
    if (ServiceDirectory* dir = as_service_directory(known_[i]); dir != nullptr) dir->clear_cache();
  }
  for (uint32_t i = 0; i < count_; ++i) {
    (void)known_[i]->flush();  // the bytes of shared files back to the service
    known_[i]->release();
  }
  delete[] known_;
  known_ = nullptr;
  count_ = capacity_ = 0;
  unmounted_ = true;
  inode_gone();
}

int64_t share_service_file(Inode& file, RegularInode** out) {
  ServiceFile* served = as_service_file(&file);
  return served != nullptr ? served->share(0, out) : -kENODEV;
}

void drop_program_images() {
  while (g_image_files != nullptr)  // bound: each round takes one file off the list
    g_image_files->forget_image();
}

void unshare_service_file(Inode& file) {
  if (ServiceFile* served = as_service_file(&file); served != nullptr) served->unshare();
}

// ---- directories ----

ServiceDirectory::ServiceDirectory(ServiceMount& mount, uint64_t node, uint32_t permissions,
                                   ServiceDirectory* parent, char* name, size_t length)
    : Directory(mount.sb, permissions, node), mount_(mount), node_(node), up_(parent), name_(name) {
  mount_.inode_made();
  if (up_ != nullptr) {
    up_->acquire();
    attach(up_, StringView(name_, length));
  }
}

Inode* ServiceDirectory::cached(StringView name) const {
  for (uint32_t i = 0; i < kCacheSlots; ++i) {
    const Cached& c = cache_[i];
    if (c.inode != nullptr && StringView(c.name, c.length) == name) return c.inode;
  }
  return nullptr;
}

void ServiceDirectory::remember(StringView name, Inode* inode) {
  if (name.size() > kCachedNameMax) return;
  forget_name(name);
  Cached& c = cache_[cache_next_];
  cache_next_ = (cache_next_ + 1) % kCacheSlots;
  c.inode = inode;
  c.length = static_cast<uint8_t>(name.size());
  mem_copy(c.name, name.data(), name.size());
}

void ServiceDirectory::forget_name(StringView name) {
  for (uint32_t i = 0; i < kCacheSlots; ++i) {
    Cached& c = cache_[i];
    if (c.inode != nullptr && StringView(c.name, c.length) == name) c.inode = nullptr;
  }
}

void ServiceDirectory::clear_cache() {
  for (Cached& c : cache_)
    c.inode = nullptr;
}

ServiceDirectory::~ServiceDirectory() {
  for (uint32_t i = 0; i < cover_count_; ++i) {
    covers_[i].root->detach();
    covers_[i].root->release();
  }
  if (up_ != nullptr) up_->release();
  delete[] name_;
  mount_.inode_gone();
}

ServiceDirectory* as_service_directory(Inode* dir) {
  return dir != nullptr && dir->is_directory() && dir->superblock().served
             ? static_cast<ServiceDirectory*>(dir)
             : nullptr;
}

bool ServiceDirectory::reserved(StringView name) const {
  return up_ == nullptr && name.starts_with(kHiddenPrefix);
}

int64_t ServiceDirectory::cover(StringView name, Directory* fs_root) {
  if (up_ != nullptr || cover_count_ == kMaxCovers) {
    fs_root->release();
    return -kEINVAL;
  }
  covers_[cover_count_++] = {name, fs_root};
  fs_root->attach(this, name);
  return 0;
}

int64_t ServiceDirectory::lookup(Process&, StringView name, InodeRef* out) {
  return find(name, out);
}

int64_t ServiceDirectory::find(StringView name, InodeRef* out) {
  if (removed() || reserved(name)) return -kENOENT;  // hidden files are nobody's to reach
  for (uint32_t i = 0; i < cover_count_; ++i) {
    if (covers_[i].name == name) {
      out->reset(covers_[i].root);
      return 0;
    }
  }
  if (Inode* inode = cached(name); inode != nullptr) {
    out->reset(inode);
    return 0;
  }
  Service::OpenRequest req;
  if (int64_t e = path_of(this, name, &req.path); e != 0) return e;
  Service::OpenResponse resp;
  if (const rpc::Status s = mount_.client.open(req, resp); s != rpc::Status::kOk) {
    return error_of(s);
  }
  const int64_t e = mount_.inode_for(resp.info, this, name, out);
  if (e == 0 && mount_.mounted()) remember(name, out->get());
  return e;
}

bool ServiceDirectory::next(uint64_t after, DirEntry* out) {
  if (removed()) return false;
  // An entry's cookie is kFirstCookie + the service's cookie after it (its `next`), which stays
  // valid while names come and go.
  uint64_t cookie = after < kFirstCookie ? 0 : after - kFirstCookie;
  // bound: each round moves past one entry (a hidden one), to the end of the listing
  for (;;) {
    if (cookie > UINT32_MAX) return false;
    // The kept page lists the entries from its cookie on, in order: the first whose `next` is
    // past `cookie` comes next, if the page reaches that far.
    const svc::fs::DirEntry* e = nullptr;
    if (listed_changes_ == mount_.changes && cookie >= listed_from_) {
      for (uint32_t i = 0; i < listing_.entries.size && e == nullptr; ++i) {
        if (listing_.entries.items[i].next > cookie) e = &listing_.entries.items[i];
      }
    }
    if (e == nullptr) {
      Service::ListRequest req;
      req.node = node_;
      req.cookie = static_cast<uint32_t>(cookie);
      if (mount_.client.list(req, listing_) != rpc::Status::kOk) {
        listing_.entries.size = 0;
        return false;
      }
      listed_from_ = cookie;
      listed_changes_ = mount_.changes;
      if (listing_.entries.size == 0) return false;
      e = &listing_.entries.items[0];
    }
    if (e->next <= cookie) return false;  // a service whose cookies do not advance
    const StringView name(e->name.data, e->name.size);
    cookie = e->next;
    if (up_ == nullptr && name.starts_with(kHiddenPrefix)) continue;  // an unlinked open file
    out->cookie = kFirstCookie + cookie;
    out->ino = e->node;
    out->type = dirent_type(e->kind == svc::fs::NodeKind::kDirectory ? kSIfdir
                            : e->kind == svc::fs::NodeKind::kSymlink ? kSIflnk
                                                                     : kSIfreg);
    out->name = name;
    return true;
  }
}

uint64_t ServiceDirectory::size() const {
  Service::StatRequest req;
  req.node = node_;
  Service::StatResponse resp;
  return mount_.client.stat(req, resp) == rpc::Status::kOk ? resp.info.size : 0;
}

int64_t ServiceDirectory::create(StringView name, bool directory, uint32_t permissions,
                                 InodeRef* out) {
  if (reserved(name)) return -kEPERM;
  Service::CreateRequest req;
  if (int64_t e = path_of(this, name, &req.path); e != 0) return e;
  req.kind = directory ? svc::fs::NodeKind::kDirectory : svc::fs::NodeKind::kFile;
  const Timespec at = now();
  Service::CreateResponse resp;
  if (const rpc::Status s = mount_.client.create(with_attributes(&req, permissions, at), resp);
      s != rpc::Status::kOk) {
    return error_of(s);
  }
  ++mount_.changes;
  contents_changed(at);
  if (int64_t e = mount_.inode_for(made_info(req, resp, 0), this, name, out); e != 0) {
    Service::RemoveRequest undo;  // no inode for it: the node goes too, leaving nothing made
    undo.path = req.path;
    undo.time = req.time;
    Service::RemoveResponse ignored;
    (void)mount_.client.remove(undo, ignored);
    if (*out) mount_.forget(out->get());
    return e;
  }
  if (mount_.mounted()) remember(name, out->get());
  return 0;
}

int64_t ServiceDirectory::make_symlink(StringView name, StringView target) {
  if (reserved(name)) return -kEPERM;
  Service::CreateRequest req;
  if (int64_t e = path_of(this, name, &req.path); e != 0) return e;
  req.kind = svc::fs::NodeKind::kSymlink;
  const Timespec at = now();
  Service::CreateResponse resp;
  if (const rpc::Status s = mount_.client.create(with_attributes(&req, 0777, at), resp);
      s != rpc::Status::kOk) {
    return error_of(s);
  }
  ++mount_.changes;
  contents_changed(at);
  // The target, a chunk a call; then the link as the shim keeps it (which reads it back).
  int64_t e = 0;
  for (uint64_t done = 0; e == 0 && done < target.size();) {  // bound: a chunk a round
    Service::WriteRequest write;
    write.node = resp.node;
    write.offset = done;
    write.time = req.time;
    write.data.size = static_cast<uint32_t>(min<uint64_t>(target.size() - done, kChunk));
    mem_copy(write.data.data, target.data() + done, write.data.size);
    Service::WriteResponse wrote;
    const rpc::Status s = mount_.client.write(write, wrote);
    const uint32_t stored = min(wrote.written, write.data.size);  // never more than given
    e = s != rpc::Status::kOk ? error_of(s) : stored < write.data.size ? -kENOSPC : 0;
    done += stored;
  }
  InodeRef made;
  if (e == 0) e = mount_.inode_for(made_info(req, resp, target.size()), this, name, &made);
  if (e != 0) {  // nothing is left behind: the node goes
    Service::RemoveRequest undo;
    undo.path = req.path;
    undo.time = req.time;
    Service::RemoveResponse ignored;
    (void)mount_.client.remove(undo, ignored);
    if (made) mount_.forget(made.get());
  } else if (mount_.mounted()) {
    remember(name, made.get());
  }
  return e;
}

int64_t ServiceDirectory::remove(StringView name, Inode* child) {
  forget_name(name);  // first, whatever follows
  Service::RemoveRequest req;
  if (int64_t e = path_of(this, name, &req.path); e != 0) return e;
  const Timespec at = now();
  req.time = ns_of(at);
  Service::RemoveResponse resp;
  // Only the last name of a file takes the node with it: then, if the file is open, it is
  // hidden instead. Another name keeps the node (and the shim's inode) as it is.
  const bool last = child->is_directory() || child->nlink() <= 1;
  ServiceFile* file = as_service_file(child);
  const bool hidden = last && file != nullptr && file->open_elsewhere();
  if (hidden) {
    if (int64_t e = file->hide(req.path, at); e != 0) return e;
  } else if (const rpc::Status s = mount_.client.remove(req, resp); s != rpc::Status::kOk) {
    return error_of(s);
  }
  ++mount_.changes;
  contents_changed(at);
  if (child->is_directory()) {
    child->set_nlink(0);
    child->attributes_changed(at);
  } else {
    child->drop_link(at);
  }
  if (last) mount_.forget(child);
  // The hidden name changed the root's times in the service; the processes changed only this
  // directory's.
  if (hidden && this != mount_.root) mount_.restore(*mount_.root);
  return 0;
}

int64_t ServiceDirectory::link(StringView name, Inode* inode) {
  if (reserved(name)) return -kEPERM;
  Service::LinkRequest req;
  req.node = inode->ino();  // the service's node id (ServiceFile, ServiceLink)
  if (int64_t e = path_of(this, name, &req.to); e != 0) return e;
  const Timespec at = now();
  req.time = ns_of(at);
  Service::LinkResponse resp;
  if (const rpc::Status s = mount_.client.link(req, resp); s != rpc::Status::kOk) {
    return error_of(s);
  }
  ++mount_.changes;
  contents_changed(at);
  inode->add_link(at);
  if (mount_.mounted()) remember(name, inode);
  return 0;
}

int64_t ServiceDirectory::empty() {
  Service::ListRequest req;
  req.node = node_;
  Service::ListResponse resp;
  if (const rpc::Status s = mount_.client.list(req, resp); s != rpc::Status::kOk) {
    return error_of(s);
  }
  return resp.entries.size == 0 ? 1 : 0;
}

int64_t ServiceDirectory::rename(ServiceDirectory* from, StringView from_name, ServiceDirectory* to,
                                 StringView to_name, Inode* source, Inode* target) {
  ServiceMount& mount = from->mount_;
  if (to->reserved(to_name)) return -kEPERM;
  from->forget_name(from_name);  // first, whatever follows
  to->forget_name(to_name);
  Service::RenameRequest req;
  if (int64_t e = path_of(from, from_name, &req.from); e != 0) return e;
  if (int64_t e = path_of(to, to_name, &req.to); e != 0) return e;
  const Timespec at = now();
  req.time = ns_of(at);
  // A directory's new name, taken before anything changes.
  ServiceDirectory* moved = as_service_directory(source);
  char* copy = nullptr;
  if (moved != nullptr && (copy = copy_name(to_name)) == nullptr) return -kENOMEM;
  // The service replaces a file but not a directory: an empty directory in the way goes first
  // (not undone if the rename then fails), and an open file whose last name is in the way moves
  // to its hidden name first, so that its bytes stay (moved back if the rename fails). A target
  // with other names keeps its node: the service only takes that name from it.
  ServiceFile* hidden = as_service_file(target);
  if (hidden != nullptr && (!hidden->open_elsewhere() || hidden->nlink() > 1)) hidden = nullptr;
  int64_t e = 0;
  if (target != nullptr && target->is_directory()) {
    e = to->remove(to_name, target);
    target = nullptr;
  } else if (hidden != nullptr) {
    e = hidden->hide(req.to, at);
  }
  Service::RenameResponse resp;
  if (const rpc::Status s = e == 0 ? mount.client.rename(req, resp) : rpc::Status::kOk;
      e == 0 && s != rpc::Status::kOk) {
    e = error_of(s);
    if (hidden != nullptr) {
      hidden->unhide(req.to);
      // Hidden and back: the service stamped the file, `to` and the root; nothing changed.
      mount.restore(*hidden);
      mount.restore(*to);
      if (to != mount.root) mount.restore(*mount.root);
    }
  }
  if (e != 0) {
    delete[] copy;
    return e;
  }
  ++mount.changes;
  from->contents_changed(at);
  to->contents_changed(at);
  source->attributes_changed(at);
  if (target != nullptr) {
    target->drop_link(at);
    if (target->nlink() == 0) mount.forget(target);
  }
  if (moved != nullptr) {
    to->acquire();
    if (moved->up_ != nullptr) moved->up_->release();
    delete[] moved->name_;
    moved->up_ = to;
    moved->name_ = copy;
    moved->attach(to, StringView(copy, to_name.size()));
  }
  // A target hidden on the way changed the root's times in the service.
  if (hidden != nullptr && from != mount.root && to != mount.root) mount.restore(*mount.root);
  return 0;
}

// ---- the mount ----

Directory* make_service_root(const rpc::Channel& channel, uint64_t dev, int64_t* error) {
  auto* mount = new (kFallible) ServiceMount(channel, dev);
  if (mount == nullptr) {
    *error = -kENOMEM;
    return nullptr;
  }
  Service::OpenRequest req;
  req.path.set("/");
  Service::OpenResponse resp;
  const rpc::Status s = mount->client.open(req, resp);
  InodeRef root;
  *error = s != rpc::Status::kOk                             ? -kEIO
           : resp.info.kind != svc::fs::NodeKind::kDirectory ? -kENOTDIR
                                                             : 0;
  if (*error == 0) {
    *error = mount->inode_for(resp.info, nullptr, StringView(), &root);
  }
  if (*error != 0) {
    root.reset();
    mount->unmount();  // nothing is left of it
    return nullptr;
  }
  Inode* made = root.get();
  made->acquire();  // the caller's reference (`root`'s goes)
  mount->root = made;
  return static_cast<Directory*>(made);
}

void unmount_service(Directory* root) {
  if (ServiceDirectory* dir = as_service_directory(root); dir != nullptr) dir->mount().unmount();
}

}  // namespace hmk::lx::fs
