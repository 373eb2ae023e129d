// The shim's file system objects: inodes (regular files, symbolic links, character devices;
// directories in directory.h), each with Linux's attributes, and the file systems they belong
// to. Memory only, like tmpfs: a regular file's bytes are the initrd's until its first change
// (copy on write), then a buffer of its own, or a memory object once it is mapped MAP_SHARED.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/string.h"
#include "linuxcompat/address_space.h"
#include "linuxcompat/fs/ref.h"
#include "linuxcompat/linux.h"

namespace hmk::lx {
class File;
class Process;
}  // namespace hmk::lx

namespace hmk::lx::fs {

class ProgramImage;
class RegularInode;

// There is no clock yet: times come from a counter that every change advances by a
// nanosecond, so they are strictly increasing (make-like comparisons work) and start at the
// epoch.
Timespec now();

// A file system instance: its device number (st_dev), inode numbers, and whether names can be
// added and removed (tmpfs, devtmpfs) or not (proc).
class Inode;

// What chmod, chown and utimensat change, and the times.
struct Attributes {
  uint32_t permissions;  // kPermissionBits
  uint32_t uid;
  uint32_t gid;
  Timespec atime;
  Timespec mtime;
  Timespec ctime;
};

// A file system that keeps its nodes' attributes itself (a service's: service_fs.cc).
class AttributeStore {
 public:
  // Stores *to as `inode`'s attributes, changing *to into what the file system keeps (times
  // clamped to the range it holds, as Linux clamps to a file system's): 0, or -errno with
  // nothing changed.
  virtual int64_t store(Inode& inode, Attributes* to) = 0;

 protected:
  ~AttributeStore() = default;
};

struct Superblock {
  const char* type;  // "tmpfs", "devtmpfs", "proc" (/proc/mounts)
  uint64_t dev;
  bool changeable;
  // Served by an HMK service (service_fs.h): its directories are ServiceDirectory, its regular
  // files' bytes are the service's.
  bool served = false;
  uint64_t next_ino = 1;
  // Where attributes are kept besides the inodes, or null (Inode::set_permissions).
  AttributeStore* attributes = nullptr;
};

class Inode {
 public:
  virtual ~Inode() = default;
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  uint32_t mode() const { return mode_; }
  uint32_t type() const { return mode_ & kSIfmt; }
  bool is_directory() const { return type() == kSIfdir; }
  bool is_regular() const { return type() == kSIfreg; }
  bool is_symlink() const { return type() == kSIflnk; }
  uint64_t ino() const { return ino_; }
  Superblock& superblock() const { return sb_; }
  uint32_t uid() const { return uid_; }
  uint32_t gid() const { return gid_; }
  uint32_t nlink() const { return nlink_; }
  uint64_t rdev() const { return rdev_; }
  Timespec atime() const { return atime_; }
  Timespec mtime() const { return mtime_; }
  Timespec ctime() const { return ctime_; }
  virtual uint64_t size() const { return 0; }
  // Bytes of memory the contents take (st_blocks * 512).
  virtual uint64_t allocated() const { return 0; }

  // Opens the inode for `process` with open's `flags` (access mode and status flags; the
  // caller has done the checks of names and types). `path` is what /proc/PID/fd shows.
  // 0 and *out (one reference), or -errno. Symbolic links cannot be opened (-ELOOP).
  virtual int64_t open(Process& process, uint32_t flags, StringView path, File** out);
  // The inode as a RegularInode (the file systems' own regular files; not /proc's), or null.
  virtual RegularInode* as_regular() { return nullptr; }
  // A regular file's bytes, as RegularFile reaches them: the file systems' own (RegularInode)
  // and a service's (service_fs.cc). Anything else: -EINVAL.
  virtual int64_t read(uint8_t* out, uint64_t length, uint64_t offset) const;
  virtual int64_t write(const uint8_t* data, uint64_t length, uint64_t offset);
  virtual int64_t truncate(uint64_t length);
  // Writes back to where the file's bytes are kept what only the shim's memory holds: stores
  // through MAP_SHARED mappings of a service's file (service_fs.cc), for fsync, fdatasync and
  // msync(MS_SYNC). 0 or -errno. Default: nothing is held apart.
  virtual int64_t flush() { return 0; }
  // The last MAP_SHARED mapping of the memory that holds the file's bytes went (a service's
  // file, whose bytes the shim holds only while they are mapped: service_fs.cc). Default:
  // nothing to do.
  virtual void unmapped() {}
  // The file's bytes as a copy the file keeps until it changes, with a reference for the caller
  // (*out), for a file whose bytes are expensive to reach (a service's: execve runs a program
  // from there without reading it again); *out null where the file keeps none (the default).
  // 0 or -errno.
  virtual int64_t program_image(ProgramImage** out) {
    *out = nullptr;
    return 0;
  }

  // ---- changes of attributes (each sets ctime) ----
  // chmod, chown and utimensat. A file system that keeps attributes itself (a service's:
  // Superblock::attributes) has the change stored there first. 0, or -errno with nothing
  // changed.
  int64_t set_permissions(uint32_t permissions);
  // A uid or gid of 0xffffffff is left alone. Set-user-ID and executable set-group-ID bits
  // of a regular file are cleared, as Linux does on chown.
  int64_t set_owner(uint32_t uid, uint32_t gid);
  // Null leaves a time alone.
  int64_t set_times(const Timespec* atime, const Timespec* mtime);
  Attributes attributes() const {
    return {mode_ & kPermissionBits, uid_, gid_, atime_, mtime_, ctime_};
  }
  // The attributes as they are (a file system that keeps them said so), nothing stored.
  void load_attributes(const Attributes& a);
  // Changes at `at` (now unless a file system that keeps times was told another).
  void contents_changed(Timespec at = now());    // mtime and ctime
  void attributes_changed(Timespec at = now());  // ctime
  void accessed();  // atime: now, if older than mtime or ctime (relatime)
  void add_link(Timespec at = now());
  void drop_link(Timespec at = now());
  // Directories: the entry count as nlink (2 + subdirectories) is kept by Directory. A service's
  // file or link starts with the service's count of its names (service_fs.cc).
  void set_nlink(uint32_t nlink) { nlink_ = nlink; }

  void fill_stat(Stat* out) const;

  void acquire() { ++refs_; }
  // The references held (service_fs.cc asks whether anything but the name holds a file).
  uint32_t references() const { return refs_; }
  void release() {
    if (--refs_ == 0) delete this;
  }

 protected:
  // One reference, the caller's. `mode` has the type bits. An `ino` of 0 takes the next of
  // the file system's numbers (generated inodes of /proc bring stable ones).
  Inode(Superblock& sb, uint32_t mode, uint64_t rdev = 0, uint64_t ino = 0);

 private:
  // set_permissions, set_owner, set_times: `to` (ctime: now) stored where the file system keeps
  // attributes, then taken.
  int64_t change(Attributes to);

  Superblock& sb_;
  const uint64_t ino_;
  uint32_t mode_;
  uint32_t uid_ = 0;
  uint32_t gid_ = 0;
  uint32_t nlink_ = 1;
  uint64_t rdev_;
  Timespec atime_;
  Timespec mtime_;
  Timespec ctime_;
  uint32_t refs_ = 1;
};

// Where regular files' memory objects come from (RegularInode::share): the shim's backend, set
// once at start-up; without one, share() is -ENODEV.
void set_memory_backend(MemoryBackend* backend);

// A regular file's bytes: borrowed from the initrd (read-only) until the first change, then a
// buffer of the file's own: in the shim's heap, or, once the file was mapped MAP_SHARED, a
// memory object (share()) that the mappings map and that read, write and truncate reach a page
// at a time through the memory backend (MemoryBackend::page), so that all see the same bytes.
// Every file system shares one budget of memory for file data.
class RegularInode final : public Inode {
 public:
  static constexpr uint64_t kMaxSize = 32ull << 20;  // EFBIG beyond (one allocation)
  static constexpr uint64_t kBudget = 64ull << 20;   // ENOSPC beyond, over all files

  RegularInode(Superblock& sb, uint32_t permissions) : Inode(sb, kSIfreg | permissions) {}
  // The file's bytes are `data` (which must outlive it) until the first write or truncate.
  RegularInode(Superblock& sb, uint32_t permissions, const uint8_t* data, uint64_t size)
      : Inode(sb, kSIfreg | permissions), data_(data), size_(size) {}
  ~RegularInode() override;

  uint64_t size() const override { return size_; }
  uint64_t allocated() const override;
  int64_t open(Process& process, uint32_t flags, StringView path, File** out) override;
  RegularInode* as_regular() override { return this; }
  // The file's flush(), or, for the bytes of a service's file while it is mapped MAP_SHARED
  // (cache_for), that file's.
  int64_t flush() override { return cache_for_ != nullptr ? cache_for_->flush() : 0; }
  // This inode holds the bytes of `file` (a service's file, service_fs.cc) for its MAP_SHARED
  // mappings; null: no longer (the file is gone, the mappings keep the bytes).
  void set_cache_for(Inode* file) { cache_for_ = file; }
  // A mapping's reference goes (AddressSpace::release); when it was the last mapping of a
  // service file's bytes, that file hears of it (Inode::unmapped).
  void release_mapping();

  // Bytes at `offset`: the count copied (0 at or after the end), -ENOMEM if a shared file's
  // first page there cannot be reached (short if a later one cannot).
  int64_t read(uint8_t* out, uint64_t length, uint64_t offset) const override;
  // The count written (short at kMaxSize, or where a shared file's page cannot be reached),
  // -EFBIG at or past kMaxSize, -ENOSPC, -ENOMEM if no page could be reached. A gap between the
  // end and `offset` reads as zeros.
  int64_t write(const uint8_t* data, uint64_t length, uint64_t offset) override;
  // 0, -EFBIG, -ENOSPC, or -ENOMEM if a shared file's page cannot be reached.
  int64_t truncate(uint64_t length) override;

  // Moves the bytes into a memory object of at least `length` bytes (whole pages; the file's
  // size does not change), for MAP_SHARED mappings of pages [0, length / kPageSize). 0, -ENOMEM
  // beyond kMaxSize, -ENOSPC, -ENODEV without a memory backend. When the object must grow (here
  // or because the file grows past it), the bytes move to a bigger one and every mapping of the
  // file follows (AddressSpace::unmap_file, remap_file).
  int64_t share(uint64_t length);
  // The memory object (no handle and no pages before share()). A mapping's backing points to
  // it, so that it follows when the bytes move to a bigger object (AddressSpace::remap_file).
  MemoryObject& memory() { return memory_; }
  bool shared() const { return memory_.handle != abi::kNullHandle; }

  // The bytes, contiguous, while they are the initrd's or in the shim's heap; null once the
  // file is shared (a memory object's pages are reached one at a time: read(), or
  // ContiguousBytes). Valid until the next change of the file.
  const uint8_t* bytes() const { return data_; }
  // Still the initrd's bytes (no copy made yet).
  bool borrowed() const { return data_ != nullptr && owned_ == nullptr; }
  // Bytes of file data held by all regular files (against kBudget).
  static uint64_t memory_in_use();

 private:
  // Makes the file's own buffer at least `capacity` bytes long (copying the borrowed bytes).
  int64_t reserve(uint64_t capacity);
  // The bytes to a new memory object of `capacity` bytes (whole pages), mappings following.
  int64_t move_to_memory(uint64_t capacity);
  // Zeroes [size_, end) of a memory object: stores through a mapping past the end of the file
  // must not become file data when the file grows. False if a page could not be reached.
  bool zero_past_end(uint64_t end);
  // Whether the file has a buffer of its own (in the heap or a memory object), capacity_ long.
  bool owns() const { return owned_ != nullptr || shared(); }

  const uint8_t* data_ = nullptr;  // the initrd's bytes or owned_; null once shared
  uint64_t size_ = 0;
  uint8_t* owned_ = nullptr;    // the heap buffer (before share())
  uint64_t capacity_ = 0;       // bytes of the heap buffer or of the memory object
  Inode* cache_for_ = nullptr;  // set_cache_for
  // The memory object once shared. Mutable: reaching a page to read it may make what the
  // backend needs for that (ShimBackend's mirror).
  mutable MemoryObject memory_;
};

// A copy of a file's bytes in one block, counted: held by the ContiguousBytes that use it and,
// for a service's file, by the file until it changes (Inode::program_image).
class ProgramImage {
 public:
  // `size` bytes, uninitialized, with one reference; nullptr when out of memory.
  static ProgramImage* make(uint64_t size);
  ProgramImage(const ProgramImage&) = delete;
  ProgramImage& operator=(const ProgramImage&) = delete;

  uint8_t* bytes() const { return bytes_; }
  uint64_t size() const { return size_; }
  void acquire() { ++refs_; }
  void release();

 private:
  ProgramImage(uint8_t* bytes, uint64_t size) : bytes_(bytes), size_(size) {}
  ~ProgramImage() { delete[] bytes_; }

  uint8_t* bytes_;
  uint64_t size_;
  uint32_t refs_ = 1;
};

// A regular file's bytes in one contiguous range, for the ELF loader, which reads a program in
// place (fs::resolve_executable, execve): the file's own while they are the initrd's or in the
// shim's heap, the copy a service's file keeps (Inode::program_image: read from the service on
// the first run, kept until the file changes), else (a shared file, whose memory object is
// reached a page at a time) a copy of them taken now. Valid until the file next changes, and
// while this lives.
class ContiguousBytes {
 public:
  ContiguousBytes() = default;
  ~ContiguousBytes() {
    if (copy_ != nullptr) copy_->release();
  }
  ContiguousBytes(const ContiguousBytes&) = delete;
  ContiguousBytes& operator=(const ContiguousBytes&) = delete;

  // The bytes of `file` (a RegularInode, or a regular file of a service) as they are now (a
  // copy taken before goes): 0, -ENOMEM, or a service's read error (-EIO, -ESTALE).
  int64_t take(Inode& file);
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Whether data() is a copy (the file is shared, or a service's).
  bool copied() const { return copy_ != nullptr; }

 private:
  void drop();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  ProgramImage* copy_ = nullptr;  // one reference
};

class SymlinkInode : public Inode {
 public:
  // nullptr when the target is empty or longer than kPathMax - 1 (callers check first), or when
  // out of memory.
  static SymlinkInode* create(Superblock& sb, StringView target);
  ~SymlinkInode() override;

  uint64_t size() const override { return length_; }
  StringView target() const { return StringView(target_, length_); }
  // A "magic" link of /proc/PID/fd: following it reaches this inode (the open file's, even
  // when it has no name any more) instead of the text. Null for ordinary links.
  virtual Inode* jump() const { return nullptr; }

 protected:
  // `target` (a new[] array of `length` bytes) becomes the link's.
  SymlinkInode(Superblock& sb, char* target, size_t length, uint64_t ino = 0)
      : Inode(sb, kSIflnk | 0777, 0, ino), target_(target), length_(length) {}

 private:
  char* target_;
  size_t length_;
};

// A character device (/dev/null, ...): opening it gives the device's File (devices.cc).
class DeviceInode final : public Inode {
 public:
  DeviceInode(Superblock& sb, uint32_t permissions, uint64_t rdev)
      : Inode(sb, kSIfchr | permissions, rdev) {}
  int64_t open(Process& process, uint32_t flags, StringView path, File** out) override;
};

}  // namespace hmk::lx::fs
