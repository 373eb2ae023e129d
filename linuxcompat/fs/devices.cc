// devtmpfs at /dev: the memory devices (null, zero, full, random, urandom), tty and console,
// the links to /proc/self/fd, and /dev/shm. A device is a character inode whose open makes the
// device's File; /dev takes new names like any tmpfs.
#include "core/lib/util.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/open_file.h"

namespace hmk::lx::fs {
namespace {

// Device numbers as Linux's (Documentation/admin-guide/devices.txt).
constexpr uint64_t kNull = make_device(1, 3);
constexpr uint64_t kZero = make_device(1, 5);
constexpr uint64_t kFull = make_device(1, 7);
constexpr uint64_t kRandom = make_device(1, 8);
constexpr uint64_t kUrandom = make_device(1, 9);
constexpr uint64_t kTty = make_device(5, 0);
constexpr uint64_t kConsole = make_device(5, 1);

class DeviceFile : public InodeFile {
 public:
  DeviceFile(Inode* inode, uint32_t flags, StringView path) : InodeFile(inode, flags, path) {}
  // The memory devices read and write at any offset, and every seek lands on 0.
  int64_t pread(uint8_t* buffer, uint64_t length, uint64_t) override {
    return read(buffer, length);
  }
  int64_t pwrite(const uint8_t* data, uint64_t length, uint64_t) override {
    return write(data, length);
  }
  int64_t seek(int64_t, uint32_t) override { return 0; }
  bool answers_at_once(bool, uint64_t) const override { return true; }
};

// /dev/null: end of file; takes everything.
class NullFile final : public DeviceFile {
 public:
  using DeviceFile::DeviceFile;
  int64_t read(uint8_t*, uint64_t) override { return 0; }
  int64_t write(const uint8_t*, uint64_t length) override { return static_cast<int64_t>(length); }
  bool discards_writes() const override { return true; }
};

// /dev/zero: zeros; takes everything. /dev/full: zeros; no space for anything.
enum class Writes : uint8_t { kTaken, kNoSpace };
class ZeroFile final : public DeviceFile {
 public:
  ZeroFile(Inode* inode, uint32_t flags, StringView path, Writes writes)
      : DeviceFile(inode, flags, path), full_(writes == Writes::kNoSpace) {}
  int64_t read(uint8_t* buffer, uint64_t length) override {
    mem_set(buffer, 0, length);
    return static_cast<int64_t>(length);
  }
  int64_t write(const uint8_t*, uint64_t length) override {
    return full_ ? -kENOSPC : static_cast<int64_t>(length);
  }

 private:
  bool full_;
};

// /dev/random, /dev/urandom: the shim's pseudo-random bytes (not cryptographic); writes are
// taken (Linux mixes them into the pool).
class RandomFile final : public DeviceFile {
 public:
  using DeviceFile::DeviceFile;
  int64_t read(uint8_t* buffer, uint64_t length) override {
    shim_services().random(buffer, length);
    return static_cast<int64_t>(length);
  }
  int64_t write(const uint8_t*, uint64_t length) override { return static_cast<int64_t>(length); }
};

// /dev/tty, /dev/console: no terminal yet. Writes go to the opener's standard output (the File
// its fd 1 had when it opened this); reads find end of file. No seeking (a stream).
class ConsoleFile final : public InodeFile {
 public:
  ConsoleFile(Inode* inode, uint32_t flags, StringView path, File* output)
      : InodeFile(inode, flags, path), output_(output) {
    output_->acquire();
  }
  ~ConsoleFile() override { output_->release(); }
  int64_t read(uint8_t*, uint64_t) override { return 0; }
  int64_t write(const uint8_t* data, uint64_t length) override {
    return output_->write(data, length);
  }

 private:
  File* output_;
};

// Each 0 or -ENOMEM.
int64_t add_device(MemDirectory* dev, StringView name, uint32_t permissions, uint64_t rdev) {
  return dev->adopt(name, new (kFallible) DeviceInode(dev->superblock(), permissions, rdev));
}

int64_t add_link(MemDirectory* dev, StringView name, StringView target) {
  return dev->adopt(name, SymlinkInode::create(dev->superblock(), target));
}

}  // namespace

int64_t DeviceInode::open(Process& process, uint32_t flags, StringView path, File** out) {
  switch (rdev()) {
    case kNull:
      return make_open_file<NullFile>(out, this, flags, path);
    case kZero:
    case kFull:
      return make_open_file<ZeroFile>(out, this, flags, path,
                                      rdev() == kFull ? Writes::kNoSpace : Writes::kTaken);
    case kRandom:
    case kUrandom:
      return make_open_file<RandomFile>(out, this, flags, path);
    case kTty:
    case kConsole: {
      File* output = process.fds.get(1);
      if (output == nullptr) return -kENXIO;  // no terminal to stand for
      return make_open_file<ConsoleFile>(out, this, flags, path, output);
    }
    default:
      return -kENXIO;  // no driver for this device number
  }
}

Directory* make_dev_root(Superblock& sb) {
  auto* dev = new (kFallible) MemDirectory(sb, 0755);
  if (dev == nullptr) return nullptr;
  int64_t e = add_device(dev, "null", 0666, kNull);
  if (e == 0) e = add_device(dev, "zero", 0666, kZero);
  if (e == 0) e = add_device(dev, "full", 0666, kFull);
  if (e == 0) e = add_device(dev, "random", 0666, kRandom);
  if (e == 0) e = add_device(dev, "urandom", 0666, kUrandom);
  if (e == 0) e = add_device(dev, "tty", 0666, kTty);
  if (e == 0) e = add_device(dev, "console", 0600, kConsole);
  if (e == 0) e = add_link(dev, "fd", "/proc/self/fd");
  if (e == 0) e = add_link(dev, "stdin", "/proc/self/fd/0");
  if (e == 0) e = add_link(dev, "stdout", "/proc/self/fd/1");
  if (e == 0) e = add_link(dev, "stderr", "/proc/self/fd/2");
  if (e == 0) e = dev->adopt("shm", new (kFallible) MemDirectory(sb, kSIsvtx | 0777));
  if (e != 0) {
    dev->release();
    return nullptr;
  }
  return dev;
}

}  // namespace hmk::lx::fs
