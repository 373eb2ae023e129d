// The shim's file system on the host, through the system call handlers (a process whose memory
// is host memory) and the fs layer: an initrd built here imported with copy on write, path
// resolution's corner cases, Linux's errors, getdents64 and stat layouts, descriptors, renames,
// unlinked open files, /dev and /proc.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/operations.h"
#include "linuxcompat/fs/service_fs.h"
#include "linuxcompat/pipe.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"
#include "linuxcompat/test_services.h"
#include "svc/lib/test_env.h"
#include "svc/ramfs/ramfs_service.h"

namespace hmk::lx {
namespace {

constexpr uint64_t kBase = 0x10'0000;
constexpr uint64_t kPages = 64;
constexpr uint64_t kUnmapped = 0x9000'0000;

// What fd 1 gets: a record of what is written (for /dev/tty).
class Capture final : public File {
 public:
  explicit Capture(std::string* out) : out_(out) {}
  int64_t read(uint8_t*, uint64_t) override { return -kEBADF; }
  int64_t write(const uint8_t* data, uint64_t length) override {
    out_->append(reinterpret_cast<const char*>(data), length);
    return static_cast<int64_t>(length);
  }
  bool readable() const override { return false; }
  bool writable() const override { return true; }

 private:
  std::string* out_;
};

// A stream (what a pipe will be): no inode, no offset; each read gives what it has.
class Stream final : public File {
 public:
  int64_t read(uint8_t* buffer, uint64_t length) override {
    ++reads;
    const uint64_t n = length < 6000 ? length : 6000;  // more than a chunk
    std::memset(buffer, 's', n);
    return static_cast<int64_t>(n);
  }
  int64_t write(const uint8_t*, uint64_t length) override { return static_cast<int64_t>(length); }
  bool readable() const override { return true; }
  bool writable() const override { return true; }
  int reads = 0;
};

// Regular files' memory objects (MAP_SHARED): one backend for every test, never gone (a file
// can outlive a Fixture's process, whose mappings hold it, by the order members go).
HostBackend g_file_memory;

// The entries init_on_service left out, as "name: -errno".
std::vector<std::string> g_skipped;
void record_skipped(StringView name, int64_t error) {
  g_skipped.push_back(std::string(name.data(), name.size()) + ": " + std::to_string(error));
}

// A process (pid 1, /bin/prog) with a page range of memory, on a file system made from the
// standard archive: a tmpfs root, or, with `root_service`, the root that service serves
// (fs::init_on_service).
class Fixture {
 public:
  explicit Fixture(std::vector<uint8_t> archive = standard_archive(),
                   const rpc::Channel* root_service = nullptr)
      : archive_(std::move(archive)) {
    auto cpio = CpioArchive::open(archive_.data(), archive_.size(), nullptr);
    REQUIRE(cpio.ok());
    g_skipped.clear();
    if (root_service != nullptr) {
      REQUIRE(fs::init_on_service(*cpio, *root_service, record_skipped) == 0);
    } else {
      REQUIRE(fs::init_from_initrd(*cpio) == 0);
    }
    fs::set_memory_backend(&g_file_memory);
    REQUIRE(process.mm.map_anonymous(kBase, kPages, kProtRead | kProtWrite) == 0);
    process.limits[kRlimitNofile] = {FdTable::kMaxFds, FdTable::kMaxFds};
    std::strcpy(process.exe, "/bin/prog");
    process.fds.install(1, new Capture(&console));
    g_test_process = &process;
  }
  ~Fixture() {
    g_test_process = nullptr;
    fs::shutdown();
  }

  static std::vector<uint8_t> standard_archive() {
    return Newc()
        .add(".", 040755)
        .add("bin", 040755)
        .add("bin/prog", 0100755,
             "\x7f"
             "ELF program bytes")
        .add("etc", 040755)
        .add("etc/motd", 0100644, "hello, world\n")
        .add("etc/hostname", 0100600, "hmk\n")
        .add("etc/link", 0120777, "motd")
        .add("etc/abs", 0120777, "/etc/motd")
        .add("etc/dirlink", 0120777, "/bin")
        .add("deep/er/file", 0100644, "implied parents")
        .finish();
  }

  // A NUL-terminated string in the process's memory (a bump allocator over the top half).
  uint64_t str(const std::string& s) {
    const uint64_t at = next_;
    REQUIRE(process.mm.copy_out(at, s.c_str(), s.size() + 1));
    next_ += (s.size() + 16) & ~uint64_t{7};
    REQUIRE(next_ < kBase + kPages * kPageSize);
    return at;
  }
  // Scratch memory for results, in the bottom half.
  uint64_t buffer(uint64_t offset = 0) const { return kBase + offset; }
  std::string bytes(uint64_t at, size_t n) {
    std::string s(n, '\0');
    REQUIRE(process.mm.copy_in(s.data(), at, n));
    return s;
  }
  template <typename T>
  T get(uint64_t at) {
    T value;
    REQUIRE(process.mm.copy_in(&value, at, sizeof(T)));
    return value;
  }

  int64_t open(const std::string& path, uint32_t flags, uint32_t mode = 0644) {
    return sys_open(task, str(path), flags, mode);
  }
  int64_t write(int32_t fd, const std::string& data) {
    REQUIRE(process.mm.copy_out(buffer(0x8000), data.data(), data.size()));
    return sys_write(task, fd, buffer(0x8000), data.size());
  }
  std::string read(int32_t fd, uint64_t n = 4096) {
    const int64_t got = sys_read(task, fd, buffer(0x8000), n);
    REQUIRE(got >= 0);
    return bytes(buffer(0x8000), static_cast<size_t>(got));
  }
  std::string read_file(const std::string& path) {
    const int64_t fd = open(path, kORdonly);
    REQUIRE(fd >= 0);
    std::string all = read(static_cast<int32_t>(fd), 1 << 16);
    REQUIRE(sys_close(task, static_cast<int32_t>(fd)) == 0);
    return all;
  }
  Stat stat(const std::string& path, bool follow = true) {
    const int64_t e =
        follow ? sys_stat(task, str(path), buffer()) : sys_lstat(task, str(path), buffer());
    REQUIRE(e == 0);
    return get<Stat>(buffer());
  }
  int64_t stat_error(const std::string& path) { return sys_stat(task, str(path), buffer()); }
  std::string readlink(const std::string& path) {
    const int64_t n = sys_readlink(task, str(path), buffer(), 4096);
    REQUIRE(n >= 0);
    return bytes(buffer(), static_cast<size_t>(n));
  }
  // Every name getdents64 gives for the directory, in order.
  std::vector<std::string> list(const std::string& path) {
    const int64_t fd = sys_open(task, str(path), kORdonly | kODirectory, 0);
    REQUIRE(fd >= 0);
    std::vector<std::string> names;
    for (;;) {
      const int64_t n = sys_getdents64(task, static_cast<int32_t>(fd), buffer(), 4096);
      REQUIRE(n >= 0);
      if (n == 0) break;
      const std::string raw = bytes(buffer(), static_cast<size_t>(n));
      for (size_t at = 0; at < raw.size();) {
        uint16_t reclen = 0;
        std::memcpy(&reclen, raw.data() + at + 16, 2);
        names.emplace_back(raw.c_str() + at + 19);
        at += reclen;
      }
    }
    REQUIRE(sys_close(task, static_cast<int32_t>(fd)) == 0);
    return names;
  }

  std::vector<uint8_t> archive_;
  HostBackend backend;
  Process process{1, 0, 0, backend};
  Task task{process, 1, 0};
  std::string console;

 private:
  uint64_t next_ = kBase + kPages * kPageSize / 2;
};

// ---- the initrd ----

TEST_CASE("the initrd becomes the root: modes, implied parents, /tmp, /dev, /proc") {
  Fixture f;
  CHECK(f.read_file("/etc/motd") == "hello, world\n");
  CHECK(f.stat("/etc/hostname").mode == (kSIfreg | 0600));
  CHECK(f.stat("/bin/prog").mode == (kSIfreg | 0755));
  CHECK(f.stat("/bin").mode == (kSIfdir | 0755));
  CHECK(f.stat("/etc/link", false).mode == (kSIflnk | 0777));
  CHECK(f.readlink("/etc/link") == "motd");
  CHECK(f.stat("/etc/link").size == 13);  // followed: the file
  CHECK(f.read_file("/deep/er/file") == "implied parents");
  CHECK(f.stat("/deep/er").mode == (kSIfdir | 0755));
  CHECK(f.stat("/tmp").mode == (kSIfdir | 01777));
  CHECK(f.stat("/dev").dev == fs::kDevDevice);
  CHECK(f.stat("/proc").dev == fs::kProcDevice);
  CHECK(f.stat("/").dev == fs::kRootDevice);
  CHECK(f.stat("/").nlink == 2 + 6);  // bin, etc, deep, tmp, dev, proc
}

TEST_CASE("an initrd file is the archive's bytes until written: copy on write") {
  Fixture f;
  fs::InodeRef inode;
  REQUIRE(fs::resolve(f.process, fs::root(), "/etc/motd", fs::Follow::kYes, &inode) == 0);
  fs::RegularInode* file = inode->as_regular();
  REQUIRE(file != nullptr);
  const uint8_t* archive_begin = f.archive_.data();
  const uint8_t* archive_end = archive_begin + f.archive_.size();
  CHECK(file->borrowed());
  CHECK((file->bytes() >= archive_begin && file->bytes() < archive_end));
  const uint64_t in_use = fs::RegularInode::memory_in_use();
  const int64_t fd = f.open("/etc/motd", kOWronly);
  REQUIRE(fd >= 0);
  CHECK(f.write(static_cast<int32_t>(fd), "HELLO") == 5);
  CHECK_FALSE(file->borrowed());
  CHECK_FALSE((file->bytes() >= archive_begin && file->bytes() < archive_end));
  CHECK(fs::RegularInode::memory_in_use() == in_use + 4096);
  CHECK(f.read_file("/etc/motd") == "HELLO, world\n");
  // The archive itself is untouched.
  const std::string archive(f.archive_.begin(), f.archive_.end());
  CHECK(archive.find("hello, world\n") != std::string::npos);
  CHECK(archive.find("HELLO") == std::string::npos);
}

TEST_CASE("a later archive entry of the same name wins; directories merge") {
  const auto archive = Newc()
                           .add("a", 040700)
                           .add("a/x", 0100644, "first")
                           .add("a/x", 0100600, "second")
                           .add("a", 040750)
                           .add("b/../c", 0100644, "unsafe")
                           .add("dev/null", 0100644, "hidden by the mount")
                           .finish();
  Fixture f(archive);
  CHECK(f.read_file("/a/x") == "second");
  CHECK(f.stat("/a/x").mode == (kSIfreg | 0600));
  CHECK(f.stat("/a").mode == (kSIfdir | 0750));
  CHECK(f.stat_error("/c") == -kENOENT);
  CHECK(f.stat("/dev/null").mode == (kSIfchr | 0666));
}

// ---- path resolution ----

TEST_CASE("resolution: slashes, dots, relative to the cwd and to a dirfd") {
  Fixture f;
  const uint64_t motd = f.stat("/etc/motd").ino;
  CHECK(f.stat("//etc///motd").ino == motd);
  CHECK(f.stat("/etc/./motd").ino == motd);
  CHECK(f.stat("/bin/../etc/motd").ino == motd);
  CHECK(f.stat("/../../etc/motd").ino == motd);  // ".." of the root is the root
  CHECK(f.stat("etc/motd").ino == motd);         // the cwd starts at the root
  REQUIRE(sys_chdir(f.task, f.str("/etc")) == 0);
  CHECK(f.stat("motd").ino == motd);
  CHECK(f.stat("./motd").ino == motd);
  CHECK(f.stat("../etc/motd").ino == motd);
  CHECK(f.stat(".").ino == f.stat("/etc").ino);
  // openat from a dirfd; an absolute path ignores even a bad dirfd.
  const int64_t bin = f.open("/bin", kORdonly | kODirectory);
  REQUIRE(bin >= 0);
  CHECK(sys_newfstatat(f.task, static_cast<int32_t>(bin), f.str("../etc/motd"), f.buffer(), 0) ==
        0);
  CHECK(f.get<Stat>(f.buffer()).ino == motd);
  CHECK(sys_newfstatat(f.task, 999, f.str("/etc/motd"), f.buffer(), 0) == 0);
  CHECK(sys_newfstatat(f.task, 999, f.str("motd"), f.buffer(), 0) == -kEBADF);
  const int64_t file = f.open("/etc/motd", kORdonly);
  CHECK(sys_newfstatat(f.task, static_cast<int32_t>(file), f.str("x"), f.buffer(), 0) == -kENOTDIR);
  CHECK(sys_openat(f.task, static_cast<int32_t>(bin), f.str("prog"), kORdonly, 0) >= 0);
}

TEST_CASE("resolution: trailing slashes, ENOENT and ENOTDIR") {
  Fixture f;
  CHECK(f.stat("/etc/").mode == (kSIfdir | 0755));
  CHECK(f.stat_error("/etc/motd/") == -kENOTDIR);
  CHECK(f.stat_error("/etc/motd/x") == -kENOTDIR);
  CHECK(f.stat_error("/etc/nothere") == -kENOENT);
  CHECK(f.stat_error("/nothere/x") == -kENOENT);
  CHECK(f.stat_error("") == -kENOENT);
  CHECK(f.stat("/etc/dirlink/", false).mode == (kSIfdir | 0755));  // the slash follows the link
  CHECK(f.stat("/etc/dirlink", false).mode == (kSIflnk | 0777));
  CHECK(f.stat_error("/etc/link/") == -kENOTDIR);         // a link to a file
  CHECK(sys_mkdir(f.task, f.str("/tmp/d/"), 0755) == 0);  // mkdir takes a trailing slash
  CHECK(sys_symlink(f.task, f.str("x"), f.str("/tmp/s/")) == -kENOENT);
  CHECK(f.open("/tmp/new/", kOCreat | kOWronly) == -kEISDIR);
  CHECK(sys_unlink(f.task, f.str("/etc/motd/")) == -kENOTDIR);
  CHECK(sys_unlink(f.task, f.str("/tmp/d/")) == -kEISDIR);
  CHECK(sys_rmdir(f.task, f.str("/etc/motd/")) == -kENOTDIR);
  CHECK(sys_rmdir(f.task, f.str("/tmp/d/")) == 0);
}

TEST_CASE("resolution: symbolic links, at most 40 in a path (ELOOP)") {
  Fixture f;
  CHECK(f.read_file("/etc/abs") == "hello, world\n");
  CHECK(f.read_file("/etc/dirlink/../etc/link") == "hello, world\n");  // ".." after the jump
  REQUIRE(sys_symlink(f.task, f.str("b"), f.str("/tmp/a")) == 0);
  REQUIRE(sys_symlink(f.task, f.str("a"), f.str("/tmp/b")) == 0);
  CHECK(f.stat_error("/tmp/a") == -kELOOP);
  CHECK(f.stat("/tmp/a", false).mode == (kSIflnk | 0777));
  CHECK(f.stat_error("/tmp/a/x") == -kELOOP);
  // A chain l1 -> l2 -> ... -> l40 -> /etc/motd is 40 links: fine; 41 is too many.
  REQUIRE(sys_symlink(f.task, f.str("/etc/motd"), f.str("/tmp/l40")) == 0);
  for (int i = 39; i >= 0; --i) {
    REQUIRE(sys_symlink(f.task, f.str("l" + std::to_string(i + 1)),
                        f.str("/tmp/l" + std::to_string(i))) == 0);
  }
  CHECK(f.stat_error("/tmp/l1") == 0);
  CHECK(f.stat_error("/tmp/l0") == -kELOOP);
  // The same count holds for links in the middle of a path.
  REQUIRE(sys_symlink(f.task, f.str("/etc"), f.str("/tmp/e40")) == 0);
  for (int i = 39; i >= 0; --i) {
    REQUIRE(sys_symlink(f.task, f.str("e" + std::to_string(i + 1)),
                        f.str("/tmp/e" + std::to_string(i))) == 0);
  }
  CHECK(f.stat_error("/tmp/e1/motd") == 0);
  CHECK(f.stat_error("/tmp/e0/motd") == -kELOOP);
}

TEST_CASE("resolution: O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, O_PATH") {
  Fixture f;
  CHECK(f.open("/etc/link", kORdonly | kONofollow) == -kELOOP);
  CHECK(f.open("/etc/dirlink/prog", kORdonly | kONofollow) >= 0);  // only the last one counts
  CHECK(sys_newfstatat(f.task, kAtFdcwd, f.str("/etc/link"), f.buffer(), kAtSymlinkNofollow) == 0);
  CHECK(f.get<Stat>(f.buffer()).mode == (kSIflnk | 0777));
  const int64_t fd = f.open("/etc/motd", kORdonly);
  CHECK(sys_newfstatat(f.task, static_cast<int32_t>(fd), f.str(""), f.buffer(), 0) == -kENOENT);
  CHECK(sys_newfstatat(f.task, static_cast<int32_t>(fd), f.str(""), f.buffer(), kAtEmptyPath) == 0);
  CHECK(f.get<Stat>(f.buffer()).size == 13);
  CHECK(sys_newfstatat(f.task, kAtFdcwd, f.str("/etc"), f.buffer(), 0x4) == -kEINVAL);
  // O_PATH | O_NOFOLLOW holds the link itself: readlinkat with an empty path reads it.
  const int64_t link = f.open("/etc/link", kOPath | kONofollow);
  REQUIRE(link >= 0);
  CHECK(sys_readlinkat(f.task, static_cast<int32_t>(link), f.str(""), f.buffer(), 100) == 4);
  CHECK(f.bytes(f.buffer(), 4) == "motd");
  CHECK(sys_readlinkat(f.task, static_cast<int32_t>(fd), f.str(""), f.buffer(), 100) == -kENOENT);
  CHECK(sys_read(f.task, static_cast<int32_t>(link), f.buffer(), 1) == -kEBADF);
  CHECK(sys_fstat(f.task, static_cast<int32_t>(link), f.buffer()) == 0);
  CHECK(sys_fcntl(f.task, static_cast<int32_t>(link), kFGetfl, 0) == (kOPath | kONofollow));
}

TEST_CASE("resolution: ENAMETOOLONG for a component over 255 bytes or a path over 4095") {
  Fixture f;
  CHECK(f.stat_error("/tmp/" + std::string(255, 'n')) == -kENOENT);
  CHECK(f.stat_error("/tmp/" + std::string(256, 'n')) == -kENAMETOOLONG);
  CHECK(f.open("/tmp/" + std::string(256, 'n'), kOCreat | kOWronly) == -kENAMETOOLONG);
  CHECK(sys_mkdir(f.task, f.str("/tmp/" + std::string(256, 'n')), 0755) == -kENAMETOOLONG);
  std::string path = "/";
  while (path.size() < 4095)
    path += "./";
  path.resize(4095);
  CHECK(f.stat_error(path) == 0);  // 4095 bytes: the root
  CHECK(f.stat_error(path + "/") == -kENAMETOOLONG);
  CHECK(sys_symlink(f.task, f.str(std::string(4096, 'x')), f.str("/tmp/x")) == -kENAMETOOLONG);
}

TEST_CASE("bad pointers are EFAULT, never a crash") {
  Fixture f;
  CHECK(sys_open(f.task, kUnmapped, kORdonly, 0) == -kEFAULT);
  CHECK(sys_stat(f.task, f.str("/etc/motd"), kUnmapped) == -kEFAULT);
  CHECK(sys_stat(f.task, 0, f.buffer()) == -kEFAULT);
  const int64_t fd = f.open("/etc/motd", kORdonly);
  CHECK(sys_read(f.task, static_cast<int32_t>(fd), kUnmapped, 10) == -kEFAULT);
  CHECK(f.read(static_cast<int32_t>(fd)) == "hello, world\n");  // nothing was consumed
  CHECK(sys_fstat(f.task, static_cast<int32_t>(fd), kUnmapped) == -kEFAULT);
  CHECK(sys_getcwd(f.task, kUnmapped, 100) == -kEFAULT);
  CHECK(sys_readlink(f.task, f.str("/etc/link"), kUnmapped, 100) == -kEFAULT);
  CHECK(sys_rename(f.task, f.str("/etc/motd"), kUnmapped) == -kEFAULT);
  CHECK(sys_utimensat(f.task, kAtFdcwd, f.str("/etc/motd"), kUnmapped, 0) == -kEFAULT);
  CHECK(sys_readv(f.task, static_cast<int32_t>(fd), kUnmapped, 1) == -kEFAULT);
  // A read into memory that ends part way: what fits is read, the rest stays unread.
  const int64_t again = f.open("/etc/motd", kORdonly);
  const uint64_t edge = kBase + kPages * kPageSize - 5;
  CHECK(sys_read(f.task, static_cast<int32_t>(again), edge, 13) == 5);
  CHECK(f.bytes(edge, 5) == "hello");
  CHECK(f.read(static_cast<int32_t>(again)) == ", world\n");
}

// ---- Linux's errors on names ----

TEST_CASE("EEXIST, EISDIR, ENOTEMPTY, EINVAL, EBUSY, EPERM, EACCES, EXDEV") {
  Fixture f;
  CHECK(sys_mkdir(f.task, f.str("/etc"), 0755) == -kEEXIST);
  CHECK(sys_mkdir(f.task, f.str("/etc/link"), 0755) == -kEEXIST);  // even a link
  CHECK(sys_mkdir(f.task, f.str("/"), 0755) == -kEEXIST);
  CHECK(sys_mkdir(f.task, f.str("."), 0755) == -kEEXIST);
  CHECK(sys_symlink(f.task, f.str("x"), f.str("/etc/motd")) == -kEEXIST);
  CHECK(sys_symlink(f.task, f.str(""), f.str("/tmp/empty")) == -kENOENT);
  CHECK(sys_link(f.task, f.str("/etc/motd"), f.str("/etc/hostname")) == -kEEXIST);
  CHECK(f.open("/etc", kOWronly) == -kEISDIR);
  CHECK(f.open("/etc", kORdonly | kOTrunc) == -kEISDIR);
  CHECK(f.open("/etc", kOCreat | kORdonly) == -kEISDIR);
  CHECK(f.open("/etc/motd", kORdonly | kODirectory) == -kENOTDIR);
  CHECK(sys_unlink(f.task, f.str("/etc")) == -kEISDIR);
  CHECK(sys_unlink(f.task, f.str("/")) == -kEISDIR);
  CHECK(sys_rmdir(f.task, f.str("/etc")) == -kENOTEMPTY);
  CHECK(sys_rmdir(f.task, f.str("/etc/..")) == -kENOTEMPTY);
  CHECK(sys_rmdir(f.task, f.str("/tmp/.")) == -kEINVAL);
  CHECK(sys_rmdir(f.task, f.str("/")) == -kEBUSY);
  CHECK(sys_rmdir(f.task, f.str("/dev")) == -kEBUSY);  // a mount point
  CHECK(sys_rename(f.task, f.str("/proc"), f.str("/p")) == -kEBUSY);
  CHECK(sys_rmdir(f.task, f.str("/etc/motd")) == -kENOTDIR);
  CHECK(sys_readlink(f.task, f.str("/etc/motd"), f.buffer(), 10) == -kEINVAL);
  CHECK(sys_readlink(f.task, f.str("/etc/link"), f.buffer(), 0) == -kEINVAL);
  CHECK(sys_unlinkat(f.task, kAtFdcwd, f.str("/etc/motd"), 0x1) == -kEINVAL);
  // /proc takes no new names (EACCES to create a file, EPERM for the rest, as Linux).
  CHECK(f.open("/proc/new", kOCreat | kOWronly) == -kEACCES);
  CHECK(sys_mkdir(f.task, f.str("/proc/new"), 0755) == -kEPERM);
  CHECK(sys_unlink(f.task, f.str("/proc/meminfo")) == -kEPERM);
  CHECK(sys_symlink(f.task, f.str("x"), f.str("/proc/x")) == -kEPERM);
  // Across file systems.
  CHECK(sys_rename(f.task, f.str("/etc/motd"), f.str("/dev/motd")) == -kEXDEV);
  CHECK(sys_link(f.task, f.str("/etc/motd"), f.str("/dev/motd")) == -kEXDEV);
  CHECK(sys_link(f.task, f.str("/etc"), f.str("/etc2")) == -kEPERM);  // a directory
  // /dev is a tmpfs: names come and go.
  CHECK(f.open("/dev/scratch", kOCreat | kOWronly) >= 0);
  CHECK(sys_unlink(f.task, f.str("/dev/scratch")) == 0);
}

TEST_CASE("bad descriptors and flags: EBADF, EINVAL") {
  Fixture f;
  CHECK(sys_read(f.task, 7, f.buffer(), 1) == -kEBADF);
  CHECK(sys_read(f.task, -1, f.buffer(), 1) == -kEBADF);
  CHECK(sys_read(f.task, 5000, f.buffer(), 1) == -kEBADF);
  CHECK(sys_close(f.task, 7) == -kEBADF);
  const int64_t ro = f.open("/etc/motd", kORdonly);
  CHECK(sys_write(f.task, static_cast<int32_t>(ro), f.buffer(), 1) == -kEBADF);
  CHECK(sys_ftruncate(f.task, static_cast<int32_t>(ro), 0) == -kEINVAL);
  CHECK(sys_lseek(f.task, static_cast<int32_t>(ro), 0, 5) == -kEINVAL);
  CHECK(sys_lseek(f.task, static_cast<int32_t>(ro), -1, kSeekSet) == -kEINVAL);
  CHECK(sys_pread64(f.task, static_cast<int32_t>(ro), f.buffer(), 1, -1) == -kEINVAL);
  CHECK(sys_lseek(f.task, 1, 0, kSeekSet) == -kESPIPE);         // fd 1 is a stream
  CHECK(sys_pread64(f.task, 42, f.buffer(), 1, 0) == -kEBADF);  // not open
  const int64_t wo = f.open("/tmp/w", kOCreat | kOWronly);
  CHECK(sys_read(f.task, static_cast<int32_t>(wo), f.buffer(), 1) == -kEBADF);
  CHECK(sys_getdents64(f.task, static_cast<int32_t>(ro), f.buffer(), 4096) == -kENOTDIR);
  const int64_t dir = f.open("/etc", kORdonly);
  CHECK(sys_read(f.task, static_cast<int32_t>(dir), f.buffer(), 1) == -kEISDIR);
  CHECK(sys_getdents64(f.task, static_cast<int32_t>(dir), f.buffer(), 10) == -kEINVAL);
  CHECK(sys_fcntl(f.task, static_cast<int32_t>(ro), 12345, 0) == -kEINVAL);
  CHECK(sys_dup3(f.task, static_cast<int32_t>(ro), 9, 1) == -kEINVAL);
  CHECK(sys_access(f.task, f.str("/etc/motd"), 8) == -kEINVAL);
  CHECK(sys_faccessat2(f.task, kAtFdcwd, f.str("/etc/motd"), 0, 1) == -kEINVAL);
  CHECK(sys_renameat2(f.task, kAtFdcwd, f.str("/etc/motd"), kAtFdcwd, f.str("/x"), 8) == -kEINVAL);
  CHECK(sys_renameat2(f.task, kAtFdcwd, f.str("/etc/motd"), kAtFdcwd, f.str("/x"), 3) == -kEINVAL);
  CHECK(sys_statx(f.task, kAtFdcwd, f.str("/"), 0x6000, 0x7ff, f.buffer()) == -kEINVAL);
  CHECK(sys_fsync(f.task, 1) == -kEINVAL);  // a serial port has no fsync
  CHECK(sys_fsync(f.task, static_cast<int32_t>(ro)) == 0);
  CHECK(sys_fadvise64(f.task, static_cast<int32_t>(ro), 0, 0, 6) == -kEINVAL);
  CHECK(sys_fadvise64(f.task, static_cast<int32_t>(ro), 0, 0, 4) == 0);
}

TEST_CASE("access: root reads and writes anything, executing needs an x bit") {
  Fixture f;
  CHECK(sys_access(f.task, f.str("/etc/hostname"), kROk | kWOk) == 0);
  CHECK(sys_access(f.task, f.str("/etc/hostname"), kXOk) == -kEACCES);
  CHECK(sys_access(f.task, f.str("/bin/prog"), kXOk) == 0);
  CHECK(sys_access(f.task, f.str("/etc"), kXOk) == 0);
  CHECK(sys_access(f.task, f.str("/nothere"), 0) == -kENOENT);
  CHECK(sys_faccessat(f.task, kAtFdcwd, f.str("etc/link"), kROk) == 0);
}

// ---- layouts ----

TEST_CASE("getdents64: linux_dirent64 records, d_off cookies to seek to, EINVAL when none fits") {
  Fixture f;
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/d"), 0755) == 0);
  REQUIRE(f.open("/tmp/d/a", kOCreat | kOWronly) >= 0);
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/d/subdir"), 0755) == 0);
  REQUIRE(sys_symlink(f.task, f.str("a"), f.str("/tmp/d/l")) == 0);
  const auto fd = static_cast<int32_t>(f.open("/tmp/d", kORdonly | kODirectory));
  REQUIRE(sys_getdents64(f.task, fd, f.buffer(), 4096) == 4 * 24 + 32);  // "subdir": 32
  struct Record {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    std::string name;
  };
  std::vector<Record> records;
  for (uint64_t at = f.buffer(); at < f.buffer() + 4 * 24 + 32;) {
    Record r{f.get<uint64_t>(at), f.get<int64_t>(at + 8), f.get<uint16_t>(at + 16),
             f.get<uint8_t>(at + 18), ""};
    char name[256];
    REQUIRE(f.process.mm.copy_string(name, at + 19, sizeof(name)) >= 0);
    r.name = name;
    CHECK(r.reclen % 8 == 0);
    CHECK(r.reclen == ((19 + r.name.size() + 1 + 7) & ~size_t{7}));
    records.push_back(r);
    at += r.reclen;
  }
  REQUIRE(records.size() == 5);
  CHECK(records[0].name == ".");
  CHECK(records[0].ino == f.stat("/tmp/d").ino);
  CHECK(records[0].type == 4);  // DT_DIR
  CHECK(records[1].name == "..");
  CHECK(records[1].ino == f.stat("/tmp").ino);
  CHECK(records[2].name == "a");
  CHECK(records[2].type == 8);  // DT_REG
  CHECK(records[2].ino == f.stat("/tmp/d/a").ino);
  CHECK(records[3].name == "subdir");
  CHECK(records[3].reclen == 32);
  CHECK(records[3].type == 4);
  CHECK(records[4].name == "l");
  CHECK(records[4].type == 10);  // DT_LNK
  for (size_t i = 1; i < records.size(); ++i)
    CHECK(records[i].off > records[i - 1].off);
  CHECK(sys_getdents64(f.task, fd, f.buffer(), 4096) == 0);  // the end
  // Seeking to an entry's d_off continues after it, even when entries before it are gone.
  REQUIRE(sys_unlink(f.task, f.str("/tmp/d/a")) == 0);
  CHECK(sys_lseek(f.task, fd, records[2].off, kSeekSet) == records[2].off);
  CHECK(sys_getdents64(f.task, fd, f.buffer(), 4096) == 32 + 24);
  CHECK(f.list("/tmp/d") == std::vector<std::string>{".", "..", "subdir", "l"});
  // A buffer too small for the next record; one that takes exactly one.
  CHECK(sys_lseek(f.task, fd, 0, kSeekSet) == 0);
  CHECK(sys_getdents64(f.task, fd, f.buffer(), 23) == -kEINVAL);
  CHECK(sys_getdents64(f.task, fd, f.buffer(), 24) == 24);
  CHECK(sys_lseek(f.task, fd, 0, kSeekEnd) == -kEINVAL);
  CHECK(sys_getdents64(f.task, fd, kUnmapped, 4096) == -kEFAULT);
  // A refused buffer consumes nothing: the listing goes on where it was.
  CHECK(sys_getdents64(f.task, fd, f.buffer(), 4096) == 24 + 32 + 24);  // "..", subdir, l
  CHECK(f.get<uint16_t>(f.buffer() + 16) == 24);
  CHECK(f.bytes(f.buffer() + 19, 3) == std::string("..", 3));
  // A buffer whose end is not mapped: the records before the fault are returned, and the next
  // call starts with the first one that did not arrive.
  CHECK(sys_lseek(f.task, fd, 0, kSeekSet) == 0);
  const uint64_t last_page = kBase + (kPages - 1) * kPageSize;
  // Unmapped after the last page: ".", ".." and 8 bytes fit.
  const uint64_t near_end = last_page + kPageSize - 24 - 24 - 8;
  CHECK(sys_getdents64(f.task, fd, near_end, 4096) == 48);
  CHECK(sys_getdents64(f.task, fd, f.buffer(), 4096) == 32 + 24);  // subdir, l
  CHECK(f.bytes(f.buffer() + 19, 7) == std::string("subdir", 7));
}

TEST_CASE("a large directory is listed completely across calls and chunks") {
  Fixture f;
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/big"), 0755) == 0);
  std::set<std::string> made;
  for (int i = 0; i < 300; ++i) {
    const std::string name = "file-with-a-longish-name-" + std::to_string(i);
    REQUIRE(f.open("/tmp/big/" + name, kOCreat | kOWronly) >= 0);
    made.insert(name);
  }
  const std::vector<std::string> listed = f.list("/tmp/big");
  CHECK(listed.size() == 302);
  CHECK(std::set<std::string>(listed.begin() + 2, listed.end()) == made);
  CHECK(f.stat("/tmp/big").nlink == 2);
  CHECK(f.stat("/tmp").nlink == 3);
  // A 32 KiB buffer is filled with several chunks' worth in one call.
  const auto fd = static_cast<int32_t>(f.open("/tmp/big", kORdonly));
  const int64_t n = sys_getdents64(f.task, fd, f.buffer(), 32768);
  CHECK(n > 8192);
}

TEST_CASE("stat and statx: x86-64 layouts and what they report") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/tmp/s", kOCreat | kORdwr, 0640));
  REQUIRE(f.write(fd, std::string(5000, 'x')) == 5000);
  REQUIRE(sys_fstat(f.task, fd, f.buffer()) == 0);
  // Offsets of struct stat (arch/x86/include/uapi/asm/stat.h).
  const uint64_t b = f.buffer();
  CHECK(f.get<uint64_t>(b + 0) == fs::kRootDevice);    // st_dev
  CHECK(f.get<uint64_t>(b + 16) == 1);                 // st_nlink
  CHECK(f.get<uint32_t>(b + 24) == (kSIfreg | 0640));  // st_mode (umask 022)
  CHECK(f.get<uint32_t>(b + 28) == 0);                 // st_uid
  CHECK(f.get<int64_t>(b + 48) == 5000);               // st_size
  CHECK(f.get<int64_t>(b + 56) == 4096);               // st_blksize
  CHECK(f.get<int64_t>(b + 64) == 16);                 // st_blocks: 8 KiB held
  const uint64_t ino = f.get<uint64_t>(b + 8);
  CHECK(ino == f.stat("/tmp/s").ino);
  // statx: the same facts in struct statx.
  REQUIRE(sys_statx(f.task, kAtFdcwd, f.str("/tmp/s"), 0, 0x7ff, f.buffer(512)) == 0);
  const uint64_t x = f.buffer(512);
  CHECK((f.get<uint32_t>(x + 0) & 0x7ff) == 0x7ff);    // stx_mask
  CHECK(f.get<uint32_t>(x + 16) == 1);                 // stx_nlink
  CHECK(f.get<uint16_t>(x + 28) == (kSIfreg | 0640));  // stx_mode
  CHECK(f.get<uint64_t>(x + 32) == ino);               // stx_ino
  CHECK(f.get<uint64_t>(x + 40) == 5000);              // stx_size
  CHECK(f.get<uint32_t>(x + 136) == 0);                // stx_dev_major
  CHECK(f.get<uint32_t>(x + 140) == 20);               // stx_dev_minor
  // Devices carry their numbers.
  CHECK(f.stat("/dev/null").rdev == make_device(1, 3));
  REQUIRE(sys_statx(f.task, kAtFdcwd, f.str("/dev/zero"), 0, 0x7ff, f.buffer(512)) == 0);
  CHECK(f.get<uint32_t>(x + 128) == 1);  // stx_rdev_major
  CHECK(f.get<uint32_t>(x + 132) == 5);  // stx_rdev_minor
  // Times move forward with every change.
  const Stat before = f.stat("/tmp/s");
  REQUIRE(f.write(fd, "y") == 1);
  const Stat after = f.stat("/tmp/s");
  CHECK((after.mtime.sec > before.mtime.sec ||
         (after.mtime.sec == before.mtime.sec && after.mtime.nsec > before.mtime.nsec)));
}

// ---- descriptors ----

TEST_CASE("dup, dup2, dup3, F_DUPFD: the lowest fd, a shared offset, close-on-exec flags") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/etc/motd", kORdonly | kOCloexec));
  CHECK(fd == 0);  // the lowest free one (fd 1 is taken)
  CHECK(sys_fcntl(f.task, fd, kFGetfd, 0) == kFdCloexec);
  const int64_t copy = sys_dup(f.task, fd);
  CHECK(copy == 2);
  CHECK(sys_fcntl(f.task, static_cast<int32_t>(copy), kFGetfd, 0) == 0);  // dup clears it
  CHECK(f.read(fd, 6) == "hello,");
  CHECK(f.read(static_cast<int32_t>(copy), 3) == " wo");  // one offset for both
  CHECK(sys_dup2(f.task, fd, 10) == 10);
  CHECK(sys_dup2(f.task, fd, fd) == fd);
  CHECK(sys_dup2(f.task, 77, 77) == -kEBADF);
  CHECK(sys_dup2(f.task, fd, -1) == -kEBADF);
  CHECK(sys_dup2(f.task, fd, FdTable::kMaxFds) == -kEBADF);
  // dup2 onto an open fd closes what was there first.
  const auto other = static_cast<int32_t>(f.open("/etc/hostname", kORdonly));
  CHECK(sys_dup2(f.task, other, 10) == 10);
  CHECK(f.read(10) == "hmk\n");
  CHECK(sys_dup3(f.task, fd, 11, kOCloexec) == 11);
  CHECK(sys_fcntl(f.task, 11, kFGetfd, 0) == kFdCloexec);
  CHECK(sys_dup3(f.task, fd, fd, 0) == -kEINVAL);
  CHECK(sys_fcntl(f.task, fd, kFDupfd, 20) == 20);
  CHECK(sys_fcntl(f.task, fd, kFDupfdCloexec, 20) == 21);
  CHECK(sys_fcntl(f.task, 21, kFGetfd, 0) == kFdCloexec);
  CHECK(sys_fcntl(f.task, 21, kFSetfd, 0) == 0);
  CHECK(sys_fcntl(f.task, 21, kFGetfd, 0) == 0);
  CHECK(sys_fcntl(f.task, fd, kFDupfd, FdTable::kMaxFds) == -kEINVAL);
  // exec closes the marked ones.
  f.process.fds.close_marked();
  CHECK(sys_fcntl(f.task, fd, kFGetfd, 0) == -kEBADF);
  CHECK(sys_fcntl(f.task, 11, kFGetfd, 0) == -kEBADF);
  CHECK(sys_fcntl(f.task, 10, kFGetfd, 0) == 0);
  CHECK(f.read(2, 100) == "rld\n");  // the shared file lives on in its other fds
}

TEST_CASE("RLIMIT_NOFILE bounds new fds: EMFILE, and no file is made without an fd") {
  Fixture f;
  f.process.limits[kRlimitNofile].cur = 4;
  CHECK(f.open("/etc/motd", kORdonly) == 0);
  CHECK(f.open("/etc/motd", kORdonly) == 2);
  CHECK(f.open("/etc/motd", kORdonly) == 3);
  CHECK(f.open("/etc/motd", kORdonly) == -kEMFILE);
  CHECK(f.open("/tmp/never", kOCreat | kOWronly) == -kEMFILE);
  CHECK(f.stat_error("/tmp/never") == -kENOENT);
  CHECK(sys_dup(f.task, 0) == -kEMFILE);
  CHECK(sys_fcntl(f.task, 0, kFDupfd, 4) == -kEINVAL);
  CHECK(sys_dup2(f.task, 0, 4) == -kEBADF);
}

TEST_CASE("F_GETFL, F_SETFL and record locks") {
  Fixture f;
  const auto fd = static_cast<int32_t>(
      f.open("/tmp/fl", kOCreat | kOExcl | kOTrunc | kOWronly | kOAppend | kOCloexec));
  CHECK(sys_fcntl(f.task, fd, kFGetfl, 0) == (kOWronly | kOAppend | kOLargefile));
  CHECK(sys_fcntl(f.task, fd, kFSetfl, kONonblock | kORdwr) == 0);  // the access mode stays
  CHECK(sys_fcntl(f.task, fd, kFGetfl, 0) == (kOWronly | kONonblock | kOLargefile));
  CHECK(sys_fcntl(f.task, 1, kFGetfl, 0) == kOWronly);
  Flock lock = {kFWrlck, 0, 0, 0, 0};
  REQUIRE(f.process.mm.copy_out(f.buffer(), &lock, sizeof(lock)));
  CHECK(sys_fcntl(f.task, fd, kFSetlk, f.buffer()) == 0);
  CHECK(sys_fcntl(f.task, fd, kFGetlk, f.buffer()) == 0);
  CHECK(f.get<Flock>(f.buffer()).type == kFUnlck);
  lock.type = kFRdlck;
  REQUIRE(f.process.mm.copy_out(f.buffer(), &lock, sizeof(lock)));
  CHECK(sys_fcntl(f.task, fd, kFSetlk, f.buffer()) == -kEBADF);  // not open for reading
  lock.type = 7;
  REQUIRE(f.process.mm.copy_out(f.buffer(), &lock, sizeof(lock)));
  CHECK(sys_fcntl(f.task, fd, kFSetlkw, f.buffer()) == -kEINVAL);
  CHECK(sys_fcntl(f.task, fd, kFSetlk, kUnmapped) == -kEFAULT);
}

// ---- regular files ----

TEST_CASE("O_APPEND, O_TRUNC, O_EXCL, O_CREAT's mode and the umask") {
  Fixture f;
  CHECK(f.open("/tmp/x", kOCreat | kOExcl | kOWronly, 0666) >= 0);
  CHECK(f.stat("/tmp/x").mode == (kSIfreg | 0644));
  CHECK(f.open("/tmp/x", kOCreat | kOExcl | kOWronly) == -kEEXIST);
  CHECK(f.open("/etc/link", kOCreat | kOExcl | kOWronly) == -kEEXIST);  // not followed
  CHECK(sys_umask(f.task, 077) == 022);
  CHECK(f.open("/tmp/private", kOCreat | kOWronly, 0666) >= 0);
  CHECK(f.stat("/tmp/private").mode == (kSIfreg | 0600));
  CHECK(sys_umask(f.task, 022) == 077);
  // O_CREAT through a dangling link makes the link's target.
  REQUIRE(sys_symlink(f.task, f.str("/tmp/target"), f.str("/tmp/dangling")) == 0);
  CHECK(f.open("/tmp/dangling", kOCreat | kOWronly) >= 0);
  CHECK(f.stat("/tmp/target").mode == (kSIfreg | 0644));
  CHECK(f.open("/tmp/dangling", kOCreat | kOWronly | kONofollow) == -kELOOP);
  // O_APPEND writes at the end whatever the offset, pwrite too.
  const auto a = static_cast<int32_t>(f.open("/tmp/x", kORdwr | kOAppend));
  CHECK(f.write(a, "one") == 3);
  CHECK(sys_lseek(f.task, a, 0, kSeekSet) == 0);
  CHECK(f.write(a, "two") == 3);
  REQUIRE(f.process.mm.copy_out(f.buffer(), "3", 1));
  CHECK(sys_pwrite64(f.task, a, f.buffer(), 1, 0) == 1);
  CHECK(f.read_file("/tmp/x") == "onetwo3");
  // O_TRUNC empties the file, even when opened for reading only.
  const auto t = static_cast<int32_t>(f.open("/tmp/x", kORdonly | kOTrunc));
  CHECK(f.stat("/tmp/x").size == 0);
  CHECK(f.read(t) == "");
  CHECK(f.open("/tmp/x", kOCreat | kORdonly | kOTrunc) >= 0);
  CHECK(f.open("/dev/null", kOWronly | kOTrunc) >= 0);  // a device ignores it
  CHECK(f.open("/tmp/dir", kOCreat | kODirectory | kORdwr) == -kEINVAL);
  CHECK(f.open("/tmp", kORdwr | kOTmpfile) == -kEOPNOTSUPP);
}

TEST_CASE("pread, pwrite, lseek (holes too), truncate, ftruncate, FIONREAD") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/tmp/p", kOCreat | kORdwr));
  REQUIRE(f.process.mm.copy_out(f.buffer(), "abc", 3));
  CHECK(sys_pwrite64(f.task, fd, f.buffer(), 3, 10) == 3);
  CHECK(f.stat("/tmp/p").size == 13);
  CHECK(sys_lseek(f.task, fd, 0, kSeekCur) == 0);  // pwrite leaves the offset
  const std::string all = f.read(fd);
  CHECK(all == std::string(10, '\0') + "abc");
  CHECK(sys_pread64(f.task, fd, f.buffer(), 100, 11) == 2);
  CHECK(f.bytes(f.buffer(), 2) == "bc");
  CHECK(sys_lseek(f.task, fd, -3, kSeekEnd) == 10);
  CHECK(sys_lseek(f.task, fd, 2, kSeekCur) == 12);
  CHECK(sys_lseek(f.task, fd, -20, kSeekCur) == -kEINVAL);
  CHECK(sys_lseek(f.task, fd, 4, kSeekData) == 4);
  CHECK(sys_lseek(f.task, fd, 4, kSeekHole) == 13);
  CHECK(sys_lseek(f.task, fd, 13, kSeekData) == -kENXIO);
  CHECK(sys_lseek(f.task, fd, INT64_MAX, kSeekSet) == INT64_MAX);
  CHECK(sys_lseek(f.task, fd, 1, kSeekCur) == -kEINVAL);  // overflow
  CHECK(sys_lseek(f.task, fd, 0, kSeekSet) == 0);
  CHECK(sys_ioctl(f.task, fd, kFionread, f.buffer()) == 0);
  CHECK(f.get<int32_t>(f.buffer()) == 13);
  CHECK(sys_ftruncate(f.task, fd, 4) == 0);
  CHECK(sys_ftruncate(f.task, fd, static_cast<uint64_t>(-1)) == -kEINVAL);
  CHECK(sys_truncate(f.task, f.str("/tmp/p"), 6) == 0);
  CHECK(f.read_file("/tmp/p") == std::string(6, '\0'));  // cut bytes do not come back
  CHECK(sys_truncate(f.task, f.str("/tmp"), 0) == -kEISDIR);
  CHECK(sys_truncate(f.task, f.str("/dev/null"), 0) == -kEINVAL);
  CHECK(sys_truncate(f.task, f.str("/tmp/p"), -1) == -kEINVAL);
  CHECK(sys_truncate(f.task, f.str("/tmp/p"), 1ll << 40) == -kEFBIG);
  CHECK(sys_pwrite64(f.task, fd, f.buffer(), 1, 1ll << 40) == -kEFBIG);
  // An initrd file truncated: copied first, the archive left alone.
  CHECK(sys_truncate(f.task, f.str("/etc/motd"), 5) == 0);
  CHECK(f.read_file("/etc/motd") == "hello");
}

TEST_CASE("a File without an inode (a stream) is read while it has data; sendfile reads it once") {
  Fixture f;
  auto* stream = new Stream();
  f.process.fds.install(5, stream);
  // Stream always has more (poll says readable): chunk after chunk up to the count.
  CHECK(sys_read(f.task, 5, f.buffer(), 20000) == 20000);
  CHECK(stream->reads == 5);
  const Iovec iov[2] = {{f.buffer(0x2000), 100}, {f.buffer(0x3000), 100}};
  REQUIRE(f.process.mm.copy_out(f.buffer(), iov, sizeof(iov)));
  CHECK(sys_readv(f.task, 5, f.buffer(), 2) == 200);
  CHECK(stream->reads == 7);
  const auto out = static_cast<int32_t>(f.open("/tmp/s", kOCreat | kOWronly));
  CHECK(sys_sendfile(f.task, out, 5, 0, 10000) == 4096);
  CHECK(stream->reads == 8);
  CHECK(sys_pread64(f.task, 5, f.buffer(), 1, 0) == -kESPIPE);
  CHECK(sys_lseek(f.task, 5, 0, kSeekCur) == -kESPIPE);
  REQUIRE(sys_fstat(f.task, 5, f.buffer()) == 0);
  CHECK(f.get<Stat>(f.buffer()).mode == 0600);  // an anonymous inode's
  CHECK(sys_fadvise64(f.task, 5, 0, 0, 0) == 0);
}

TEST_CASE("readv reads into several buffers; sendfile copies between files") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/etc/motd", kORdonly));
  const Iovec iov[3] = {{f.buffer(100), 5}, {f.buffer(200), 0}, {f.buffer(300), 100}};
  REQUIRE(f.process.mm.copy_out(f.buffer(), iov, sizeof(iov)));
  CHECK(sys_readv(f.task, fd, f.buffer(), 3) == 13);
  CHECK(f.bytes(f.buffer(100), 5) == "hello");
  CHECK(f.bytes(f.buffer(300), 8) == ", world\n");
  CHECK(sys_readv(f.task, fd, f.buffer(), kIovMax + 1) == -kEINVAL);
  // sendfile with an offset leaves the input's offset alone and updates *offset.
  const auto out = static_cast<int32_t>(f.open("/tmp/copy", kOCreat | kOWronly));
  const int64_t start = 7;
  REQUIRE(f.process.mm.copy_out(f.buffer(), &start, 8));
  CHECK(sys_sendfile(f.task, out, fd, f.buffer(), 100) == 6);
  CHECK(f.get<int64_t>(f.buffer()) == 13);
  CHECK(f.read_file("/tmp/copy") == "world\n");
  CHECK(sys_lseek(f.task, fd, 0, kSeekSet) == 0);
  CHECK(sys_sendfile(f.task, 1, fd, 0, 5) == 5);  // to the console, from the file offset
  CHECK(f.console == "hello");
  CHECK(sys_lseek(f.task, fd, 0, kSeekCur) == 5);
  CHECK(sys_sendfile(f.task, fd, out, 0, 5) == -kEBADF);  // out is read-only, in write-only
  const auto append = static_cast<int32_t>(f.open("/tmp/copy", kOWronly | kOAppend));
  CHECK(sys_sendfile(f.task, append, fd, 0, 5) == -kEINVAL);
}

// ---- names ----

TEST_CASE("rename: over files and directories, into itself, no replace, hard links") {
  Fixture f;
  REQUIRE(f.open("/tmp/a", kOCreat | kOWronly) >= 0);
  const auto b = static_cast<int32_t>(f.open("/tmp/b", kOCreat | kORdwr));
  REQUIRE(f.write(b, "old b") == 5);
  const uint64_t a_ino = f.stat("/tmp/a").ino;
  CHECK(sys_rename(f.task, f.str("/tmp/a"), f.str("/tmp/b")) == 0);
  CHECK(f.stat("/tmp/b").ino == a_ino);
  CHECK(f.stat_error("/tmp/a") == -kENOENT);
  CHECK(sys_pread64(f.task, b, f.buffer(), 10, 0) == 5);  // the replaced file is still open
  REQUIRE(sys_fstat(f.task, b, f.buffer()) == 0);
  CHECK(f.get<Stat>(f.buffer()).nlink == 0);
  // Directories: over an empty one, not over a full one, not into themselves.
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/d1"), 0755) == 0);
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/d1/inner"), 0755) == 0);
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/d2"), 0755) == 0);
  CHECK(sys_rename(f.task, f.str("/tmp/d2"), f.str("/tmp/d1")) == -kENOTEMPTY);
  CHECK(sys_rename(f.task, f.str("/tmp/d1"), f.str("/tmp/d1/inner/x")) == -kEINVAL);
  CHECK(sys_rename(f.task, f.str("/tmp/d1/inner"), f.str("/tmp")) == -kENOTEMPTY);
  CHECK(sys_rename(f.task, f.str("/tmp/d1"), f.str("/tmp/b")) == -kENOTDIR);
  CHECK(sys_rename(f.task, f.str("/tmp/b"), f.str("/tmp/d2")) == -kEISDIR);
  CHECK(sys_rename(f.task, f.str("/tmp/b/"), f.str("/tmp/c")) == -kENOTDIR);
  CHECK(sys_rename(f.task, f.str("/tmp/d1/inner"), f.str("/tmp/d2")) == 0);
  CHECK(f.stat("/tmp/d1").nlink == 2);
  CHECK(f.list("/tmp/d1") == std::vector<std::string>{".", ".."});
  CHECK(sys_rename(f.task, f.str("/tmp/d2"), f.str("/tmp/d3")) == 0);
  CHECK(f.stat("/tmp/d3").nlink == 2);
  CHECK(sys_rename(f.task, f.str("/tmp/."), f.str("/tmp/x")) == -kEBUSY);
  CHECK(sys_rename(f.task, f.str("/tmp/d3"), f.str("/tmp/..")) == -kEBUSY);
  CHECK(sys_renameat2(f.task, kAtFdcwd, f.str("/tmp/d3"), kAtFdcwd, f.str("/tmp/d1"),
                      kRenameNoreplace) == -kEEXIST);
  CHECK(sys_rename(f.task, f.str("/tmp/nothere"), f.str("/tmp/x")) == -kENOENT);
  // Two names of one file: nothing happens.
  REQUIRE(sys_link(f.task, f.str("/tmp/b"), f.str("/tmp/b2")) == 0);
  CHECK(sys_rename(f.task, f.str("/tmp/b"), f.str("/tmp/b2")) == 0);
  CHECK(f.stat("/tmp/b").nlink == 2);
  // A directory's path follows it (getcwd).
  REQUIRE(sys_chdir(f.task, f.str("/tmp/d1")) == 0);
  REQUIRE(sys_rename(f.task, f.str("/tmp/d1"), f.str("/tmp/moved")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == 11);
  CHECK(f.bytes(f.buffer(), 11) == std::string("/tmp/moved", 11));
}

TEST_CASE("hard links share the file; unlink of an open file keeps it readable") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/tmp/f", kOCreat | kORdwr));
  REQUIRE(f.write(fd, "data") == 4);
  REQUIRE(sys_link(f.task, f.str("/tmp/f"), f.str("/tmp/g")) == 0);
  CHECK(f.stat("/tmp/f").nlink == 2);
  CHECK(f.stat("/tmp/g").ino == f.stat("/tmp/f").ino);
  REQUIRE(sys_unlink(f.task, f.str("/tmp/f")) == 0);
  CHECK(f.stat("/tmp/g").nlink == 1);
  REQUIRE(sys_unlink(f.task, f.str("/tmp/g")) == 0);
  CHECK(f.stat_error("/tmp/g") == -kENOENT);
  CHECK(sys_pread64(f.task, fd, f.buffer(), 10, 0) == 4);
  CHECK(f.write(fd, "more") == 4);
  REQUIRE(sys_fstat(f.task, fd, f.buffer()) == 0);
  CHECK(f.get<Stat>(f.buffer()).nlink == 0);
  CHECK(f.get<Stat>(f.buffer()).size == 8);
  CHECK(f.readlink("/proc/self/fd/" + std::to_string(fd)) == "/tmp/f (deleted)");
  // A file with no name cannot get one back through linkat(AT_EMPTY_PATH).
  CHECK(sys_linkat(f.task, fd, f.str(""), kAtFdcwd, f.str("/tmp/back"), kAtEmptyPath) == -kENOENT);
  // ... but a named one can; /proc/self/fd/N reaches the file itself (a magic link).
  const auto named = static_cast<int32_t>(f.open("/etc/hostname", kORdonly));
  CHECK(sys_linkat(f.task, named, f.str(""), kAtFdcwd, f.str("/tmp/h"), kAtEmptyPath) == 0);
  CHECK(f.read_file("/tmp/h") == "hmk\n");
  CHECK(f.read_file("/proc/self/fd/" + std::to_string(fd)) == "datamore");
  CHECK(sys_close(f.task, fd) == 0);
}

TEST_CASE("the working directory: getcwd, chdir, fchdir, a removed one") {
  Fixture f;
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == 2);
  CHECK(f.bytes(f.buffer(), 2) == std::string("/", 2));
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/w"), 0755) == 0);
  REQUIRE(sys_chdir(f.task, f.str("/tmp/w")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 7) == 7);
  CHECK(sys_getcwd(f.task, f.buffer(), 6) == -kERANGE);
  CHECK(sys_getcwd(f.task, f.buffer(), 0) == -kERANGE);
  CHECK(sys_chdir(f.task, f.str("/etc/motd")) == -kENOTDIR);
  CHECK(sys_chdir(f.task, f.str("/nothere")) == -kENOENT);
  CHECK(sys_fchdir(f.task, 1) == -kENOTDIR);
  CHECK(sys_fchdir(f.task, 99) == -kEBADF);
  // The removed working directory: no path, no new names, lists nothing.
  const auto wd = static_cast<int32_t>(f.open(".", kORdonly | kODirectory));
  REQUIRE(sys_rmdir(f.task, f.str("/tmp/w")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == -kENOENT);
  CHECK(f.open("new", kOCreat | kOWronly) == -kENOENT);
  CHECK(sys_mkdir(f.task, f.str("new"), 0755) == -kENOENT);
  CHECK(f.stat(".").nlink == 0);
  CHECK(sys_getdents64(f.task, wd, f.buffer(), 4096) == -kENOENT);
  const auto etc = static_cast<int32_t>(f.open("/etc", kOPath));
  REQUIRE(sys_fchdir(f.task, etc) == 0);
  CHECK(f.stat("motd").size == 13);
}

TEST_CASE("getcwd of a path of 4095 bytes, and ENAMETOOLONG for 4096") {
  Fixture f;
  const std::string long_name(255, 'd');
  REQUIRE(sys_chdir(f.task, f.str("/tmp")) == 0);
  for (int level = 0; level < 15; ++level) {  // /tmp/ddd...: 4 + 15 * 256 bytes
    REQUIRE(sys_mkdir(f.task, f.str(long_name), 0755) == 0);
    REQUIRE(sys_chdir(f.task, f.str(long_name)) == 0);
  }
  const std::string fits(4095 - 4 - 15 * 256 - 1, 'f');
  const std::string too_long(fits.size() + 1, 't');
  REQUIRE(sys_mkdir(f.task, f.str(fits), 0755) == 0);
  REQUIRE(sys_mkdir(f.task, f.str(too_long), 0755) == 0);
  REQUIRE(sys_chdir(f.task, f.str(fits)) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 4096) == 4096);
  CHECK(f.bytes(f.buffer() + 4095 - fits.size(), fits.size() + 1) == fits + '\0');
  REQUIRE(sys_chdir(f.task, f.str("../" + too_long)) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 8192) == -kENAMETOOLONG);
}

TEST_CASE("file data has a budget: ENOSPC beyond it, memory back when the last user goes") {
  Fixture f;
  CHECK(fs::RegularInode::memory_in_use() == 0);  // nothing left over from other tests
  const uint64_t half = fs::RegularInode::kBudget / 2;
  const auto a = static_cast<int32_t>(f.open("/tmp/a", kOCreat | kORdwr));
  const auto b = static_cast<int32_t>(f.open("/tmp/b", kOCreat | kORdwr));
  const auto c = static_cast<int32_t>(f.open("/tmp/c", kOCreat | kORdwr));
  CHECK(sys_ftruncate(f.task, a, half) == 0);
  CHECK(sys_ftruncate(f.task, b, half) == 0);
  CHECK(fs::RegularInode::memory_in_use() == fs::RegularInode::kBudget);
  CHECK(sys_ftruncate(f.task, c, 1) == -kENOSPC);
  CHECK(f.write(c, "x") == -kENOSPC);
  REQUIRE(sys_unlink(f.task, f.str("/tmp/a")) == 0);
  CHECK(f.write(c, "x") == -kENOSPC);  // still open
  REQUIRE(sys_close(f.task, a) == 0);
  CHECK(f.write(c, "x") == 1);
  CHECK(fs::RegularInode::memory_in_use() == half + 4096);
}

TEST_CASE("times, modes and owners: utimensat, chmod, chown") {
  Fixture f;
  const Timespec times[2] = {{100, 5}, {200, kUtimeOmit}};
  REQUIRE(f.process.mm.copy_out(f.buffer(1024), times, sizeof(times)));
  const Stat before = f.stat("/etc/motd");
  CHECK(sys_utimensat(f.task, kAtFdcwd, f.str("/etc/motd"), f.buffer(1024), 0) == 0);
  Stat st = f.stat("/etc/motd");
  CHECK(st.atime.sec == 100);
  CHECK(st.atime.nsec == 5);
  CHECK(st.mtime.sec == before.mtime.sec);
  CHECK(st.mtime.nsec == before.mtime.nsec);
  CHECK(sys_utimensat(f.task, kAtFdcwd, f.str("/etc/motd"), 0, 0) == 0);  // both now
  CHECK(f.stat("/etc/motd").mtime.nsec != before.mtime.nsec);
  const Timespec bad[2] = {{0, 1'000'000'000}, {0, 0}};
  REQUIRE(f.process.mm.copy_out(f.buffer(), bad, sizeof(bad)));
  CHECK(sys_utimensat(f.task, kAtFdcwd, f.str("/etc/motd"), f.buffer(), 0) == -kEINVAL);
  const auto fd = static_cast<int32_t>(f.open("/etc/motd", kORdonly));
  CHECK(sys_utimensat(f.task, fd, 0, 0, 0) == 0);  // futimens
  CHECK(sys_utimensat(f.task, fd, 0, 0, kAtSymlinkNofollow) == -kEINVAL);
  CHECK(sys_utimensat(f.task, kAtFdcwd, 0, 0, 0) == -kEFAULT);
  CHECK(sys_chmod(f.task, f.str("/etc/motd"), 04751) == 0);
  CHECK(f.stat("/etc/motd").mode == (kSIfreg | 04751));
  CHECK(sys_fchmod(f.task, fd, 0600) == 0);
  CHECK(f.stat("/etc/motd").mode == (kSIfreg | 0600));
  CHECK(sys_chmod(f.task, f.str("/etc/link"), 0644) == 0);  // the target's mode
  CHECK(f.stat("/etc/link", false).mode == (kSIflnk | 0777));
  CHECK(sys_chown(f.task, f.str("/etc/motd"), 1000, 0xffffffff) == 0);
  CHECK(f.stat("/etc/motd").uid == 1000);
  CHECK(f.stat("/etc/motd").gid == 0);
  CHECK(sys_lchown(f.task, f.str("/etc/link"), 5, 6) == 0);
  CHECK(f.stat("/etc/link", false).uid == 5);
  CHECK(f.stat("/etc/link").uid == 1000);
  CHECK(sys_fchownat(f.task, kAtFdcwd, f.str("/etc/motd"), 0, 0, 0x8000) == -kEINVAL);
}

// ---- devices and /proc ----

TEST_CASE("/dev: null, zero, full, urandom, tty") {
  Fixture f;
  const auto null = static_cast<int32_t>(f.open("/dev/null", kORdwr));
  CHECK(f.write(null, "gone") == 4);
  CHECK(f.read(null) == "");
  const auto zero = static_cast<int32_t>(f.open("/dev/zero", kORdwr));
  REQUIRE(f.process.mm.copy_out(f.buffer(), "xxxx", 4));
  CHECK(sys_read(f.task, zero, f.buffer(), 4) == 4);
  CHECK(f.bytes(f.buffer(), 4) == std::string(4, '\0'));
  CHECK(sys_read(f.task, zero, f.buffer(), 100000) == 100000);  // past one chunk
  const auto full = static_cast<int32_t>(f.open("/dev/full", kOWronly));
  CHECK(f.write(full, "x") == -kENOSPC);
  const auto random = static_cast<int32_t>(f.open("/dev/urandom", kORdonly));
  CHECK(f.read(random, 8) == std::string(8, '\x5a'));  // the test's "random" bytes
  CHECK(sys_lseek(f.task, random, 5, kSeekSet) == 0);
  const auto tty = static_cast<int32_t>(f.open("/dev/tty", kORdwr));
  CHECK(f.write(tty, "to the console\n") == 15);
  CHECK(f.console == "to the console\n");
  CHECK(f.read(tty) == "");
  CHECK(sys_lseek(f.task, tty, 0, kSeekSet) == -kESPIPE);
  CHECK(f.readlink("/dev/stdout") == "/proc/self/fd/1");
  // fd 1 is a File without an inode: /dev/stdout reaches that File itself.
  const auto out = static_cast<int32_t>(f.open("/dev/stdout", kOWronly));
  REQUIRE(out >= 0);
  CHECK(f.write(out, "via /dev/stdout\n") == 16);
  CHECK(f.console == "to the console\nvia /dev/stdout\n");
  CHECK(f.stat("/dev/stdout").mode == 0600);  // the File's status: an anonymous inode
  CHECK(sys_ioctl(f.task, tty, kTcgets, f.buffer()) == -kENOTTY);
}

TEST_CASE("/proc: self, exe, cwd, fd, meminfo, mounts, stat, status, cmdline, comm") {
  Fixture f;
  CHECK(f.readlink("/proc/self") == "1");
  CHECK(f.readlink("/proc/self/exe") == "/bin/prog");
  CHECK(f.readlink("/proc/1/exe") == "/bin/prog");
  CHECK(f.read_file("/proc/self/exe") ==
        "\x7f"
        "ELF program bytes");
  CHECK(f.readlink("/proc/self/cwd") == "/");
  CHECK(f.stat_error("/proc/2") == -kENOENT);
  CHECK(f.stat_error("/proc/01") == -kENOENT);
  CHECK(f.list("/proc") == std::vector<std::string>{".", "..", "meminfo", "mounts", "self", "1"});
  CHECK(f.list("/proc/self") == std::vector<std::string>{".", "..", "cwd", "exe", "fd", "stat",
                                                         "status", "cmdline", "comm"});
  // The process's own view: running, its ids, one thread, the arguments of its exec.
  const char args[] = "prog\0-x\0two words";
  mem_copy(f.process.cmdline, args, sizeof(args));
  f.process.cmdline_length = sizeof(args);
  f.process.task_count = 1;
  const std::string stat = f.read_file("/proc/self/stat");
  CHECK(stat.rfind("1 (prog) R 0 1 1 0 -1 ", 0) == 0);
  CHECK(std::count(stat.begin(), stat.end(), ' ') == 51);  // Linux's 52 fields
  CHECK(stat.back() == '\n');
  CHECK(f.read_file("/proc/1/cmdline") == std::string(args, sizeof(args)));
  CHECK(f.read_file("/proc/self/comm") == "prog\n");
  const std::string status = f.read_file("/proc/self/status");
  CHECK(status.rfind("Name:\tprog\n", 0) == 0);
  CHECK(status.find("\nState:\tR (running)\nTgid:\t1\n") != std::string::npos);
  CHECK(status.find("\nPPid:\t0\n") != std::string::npos);
  CHECK(status.find("\nThreads:\t1\n") != std::string::npos);
  CHECK(f.open("/proc/self/stat", kOWronly) == -kEACCES);
  CHECK(f.stat("/proc/self/stat").mode == (kSIfreg | 0444));
  const auto fd = static_cast<int32_t>(f.open("/etc/motd", kORdonly));
  CHECK(sys_dup2(f.task, fd, 7) == 7);
  CHECK(f.list("/proc/self/fd") == std::vector<std::string>{".", "..", "0", "1", "2", "7"});
  CHECK(f.readlink("/proc/self/fd/7") == "/etc/motd");
  CHECK(f.readlink("/proc/self/fd/1") == "anon_inode:[file]");
  CHECK(f.stat_error("/proc/self/fd/8") == -kENOENT);
  const std::string meminfo = f.read_file("/proc/meminfo");
  CHECK(meminfo.rfind("MemTotal:", 0) == 0);
  // The same figures as sysinfo's (struct sysinfo: totalram at 32, freeram at 40, mem_unit at
  // 104).
  REQUIRE(sys_sysinfo(f.task, f.buffer()) == 0);
  const uint64_t unit = f.get<uint32_t>(f.buffer() + 104);
  const uint64_t total_kb = f.get<uint64_t>(f.buffer() + 32) * unit / 1024;
  const uint64_t free_kb = f.get<uint64_t>(f.buffer() + 40) * unit / 1024;
  CHECK(meminfo.find("MemTotal:" + std::string(15 - std::to_string(total_kb).size(), ' ') +
                     std::to_string(total_kb) + " kB\n") == 0);
  CHECK(meminfo.find("\nMemFree:" + std::string(16 - std::to_string(free_kb).size(), ' ') +
                     std::to_string(free_kb) + " kB\n") != std::string::npos);
  CHECK(f.read_file("/proc/mounts").find("proc /proc proc") != std::string::npos);
  CHECK(f.open("/proc/meminfo", kOWronly) == -kEACCES);
  CHECK(f.stat("/proc/self/fd").mode == (kSIfdir | 0500));
  // A directory of /proc has a path like any other.
  REQUIRE(sys_chdir(f.task, f.str("/proc/self/fd")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == 11);
  CHECK(f.bytes(f.buffer(), 11) == std::string("/proc/1/fd", 11));
}

TEST_CASE("a pipe: fstat says FIFO with one inode for both ends; /proc/PID/fd says pipe:[ino]") {
  Fixture f;
  File* ends[4] = {};
  REQUIRE(make_pipe(&ends[0], &ends[1]));
  REQUIRE(make_pipe(&ends[2], &ends[3]));
  for (int32_t i = 0; i < 4; ++i)
    f.process.fds.install(5 + i, ends[i]);
  Stat st[4];
  for (int32_t i = 0; i < 4; ++i) {
    REQUIRE(sys_fstat(f.task, 5 + i, f.buffer()) == 0);
    st[i] = f.get<Stat>(f.buffer());
  }
  CHECK(st[0].mode == (kSIfifo | 0600));
  CHECK(st[1].mode == (kSIfifo | 0600));
  CHECK(st[0].nlink == 1);
  CHECK(st[0].size == 0);
  CHECK(st[0].blksize == 4096);
  CHECK(st[0].ino == st[1].ino);
  CHECK(st[0].dev == st[1].dev);
  CHECK(st[2].ino == st[3].ino);
  CHECK(st[2].ino != st[0].ino);
  // Stable: data in the pipe changes nothing.
  CHECK(f.write(6, "data") == 4);
  REQUIRE(sys_fstat(f.task, 5, f.buffer()) == 0);
  CHECK(f.get<Stat>(f.buffer()).ino == st[0].ino);
  CHECK(f.readlink("/proc/self/fd/5") == "pipe:[" + std::to_string(st[0].ino) + "]");
  CHECK(f.readlink("/proc/self/fd/6") == "pipe:[" + std::to_string(st[0].ino) + "]");
  CHECK(f.readlink("/proc/self/fd/8") == "pipe:[" + std::to_string(st[2].ino) + "]");
  CHECK(sys_fadvise64(f.task, 5, 0, 0, 0) == -kESPIPE);
}

TEST_CASE("read and readv of a pipe take all it holds, past a chunk and across buffers") {
  Fixture f;
  File* ends[2] = {};
  REQUIRE(make_pipe(&ends[0], &ends[1]));
  f.process.fds.install(5, ends[0]);
  f.process.fds.install(6, ends[1]);
  REQUIRE(f.write(6, std::string(10000, 'p')) == 10000);
  CHECK(f.read(5, 20000) == std::string(10000, 'p'));
  // readv: the second buffer gets what is left; with nothing left it is not waited for.
  const Iovec iov[2] = {{f.buffer(0x2000), 100}, {f.buffer(0x3000), 100}};
  REQUIRE(f.process.mm.copy_out(f.buffer(), iov, sizeof(iov)));
  REQUIRE(f.write(6, std::string(100, 'q') + std::string(50, 'r')) == 150);
  CHECK(sys_readv(f.task, 5, f.buffer(), 2) == 150);
  CHECK(f.bytes(f.buffer(0x2000), 100) == std::string(100, 'q'));
  CHECK(f.bytes(f.buffer(0x3000), 50) == std::string(50, 'r'));
  REQUIRE(f.write(6, std::string(100, 's')) == 100);
  CHECK(sys_readv(f.task, 5, f.buffer(), 2) == 100);
  CHECK(f.bytes(f.buffer(0x2000), 100) == std::string(100, 's'));
}

// ---- memory: mappings of files, mremap, msync ----

TEST_CASE("mmap of a file: a private copy of its bytes, zeros past its end") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/tmp/m", kOCreat | kORdwr));
  std::string text(5000, 'a');
  text.replace(0, 20, "mapped file contents");
  text.replace(4096, 4, "page");
  REQUIRE(f.write(fd, text) == 5000);
  const uint32_t rw = kProtRead | kProtWrite;
  const int64_t a = sys_mmap(f.task, 0, 3 * kPageSize, rw, kMapPrivate, fd, 0);
  REQUIRE(a > 0);
  const auto at = static_cast<uint64_t>(a);
  CHECK(f.bytes(at, 5000) == text);
  CHECK(f.bytes(at + 5000, 3 * kPageSize - 5000) == std::string(3 * kPageSize - 5000, '\0'));
  // Private: writes stay in the copy.
  REQUIRE(f.process.mm.copy_out(at, "M", 1));
  CHECK(sys_pread64(f.task, fd, f.buffer(), 1, 0) == 1);
  CHECK(f.bytes(f.buffer(), 1) == "m");
  // From an offset; read-only; read and execute; reserved (PROT_NONE).
  const int64_t b = sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, fd, kPageSize);
  REQUIRE(b > 0);
  CHECK(f.bytes(static_cast<uint64_t>(b), 5) == "pagea");
  CHECK(f.bytes(static_cast<uint64_t>(b) + 904, 4) == std::string(4, '\0'));
  CHECK_FALSE(f.process.mm.copy_out(static_cast<uint64_t>(b), "x", 1));
  const int64_t c = sys_mmap(f.task, 0, kPageSize, kProtRead | kProtExec, kMapPrivate, fd, 0);
  REQUIRE(c > 0);
  CHECK(f.bytes(static_cast<uint64_t>(c), 6) == "mapped");
  const int64_t d = sys_mmap(f.task, 0, kPageSize, kProtNone, kMapPrivate, fd, 0);
  REQUIRE(d > 0);
  char none = 0;
  CHECK_FALSE(f.process.mm.copy_in(&none, static_cast<uint64_t>(d), 1));
  CHECK(sys_mprotect(f.task, static_cast<uint64_t>(d), kPageSize, kProtRead) == 0);
  CHECK(f.bytes(static_cast<uint64_t>(d), 6) == "mapped");
  // A file of the initrd (its bytes still borrowed), through a read-only fd.
  const auto motd = static_cast<int32_t>(f.open("/etc/motd", kORdonly));
  const int64_t e = sys_mmap(f.task, 0, kPageSize, rw, kMapPrivate, motd, 0);
  REQUIRE(e > 0);
  CHECK(f.bytes(static_cast<uint64_t>(e), 14) == std::string("hello, world\n\0", 14));
  // /dev/zero: fresh zeroed memory, private or shared.
  const auto zero = static_cast<int32_t>(f.open("/dev/zero", kORdwr));
  const int64_t z = sys_mmap(f.task, 0, kPageSize, rw, kMapShared, zero, 0);
  REQUIRE(z > 0);
  CHECK(f.bytes(static_cast<uint64_t>(z), 8) == std::string(8, '\0'));
  CHECK(sys_mmap(f.task, 0, kPageSize, rw, kMapPrivate, zero, 0) > 0);
}

TEST_CASE("mmap of a file refuses, in Linux's order: EBADF, EACCES, ENODEV, EOVERFLOW, EIO") {
  Fixture f;
  const auto rw_fd = static_cast<int32_t>(f.open("/tmp/m", kOCreat | kORdwr));
  REQUIRE(f.write(rw_fd, "contents") == 8);
  const auto ro = static_cast<int32_t>(f.open("/tmp/m", kORdonly));
  const auto wo = static_cast<int32_t>(f.open("/tmp/m", kOWronly));
  const auto dir = static_cast<int32_t>(f.open("/tmp", kORdonly | kODirectory));
  const auto null = static_cast<int32_t>(f.open("/dev/null", kORdwr));
  const auto meminfo = static_cast<int32_t>(f.open("/proc/meminfo", kORdonly));
  const auto path = static_cast<int32_t>(f.open("/tmp/m", kOPath));
  const uint32_t rw = kProtRead | kProtWrite;
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, 42, 0) == -kEBADF);
  CHECK(sys_mmap(f.task, 0, 0, kProtRead, kMapPrivate, 42, 0) == -kEBADF);  // fd first
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, path, 0) == -kEBADF);
  CHECK(sys_mmap(f.task, 0, 0, kProtRead, kMapPrivate, ro, 0) == -kEINVAL);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, ro, 1) == -kEINVAL);
  CHECK(sys_mmap(f.task, 0, kPageSize, rw, kMapShared, ro, 0) == -kEACCES);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, wo, 0) == -kEACCES);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapShared, wo, 0) == -kEACCES);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, dir, 0) == -kENODEV);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, null, 0) == -kENODEV);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, meminfo, 0) == -kEIO);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, 1, 0) == -kEACCES);  // write-only
  File* ends[2] = {};
  REQUIRE(make_pipe(&ends[0], &ends[1]));
  f.process.fds.install(20, ends[0]);
  f.process.fds.install(21, ends[1]);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, 20, 0) == -kENODEV);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, rw_fd, INT64_MAX & ~4095) ==
        -kEOVERFLOW);
  // A regular file shared: executable is EACCES (W^X, the shim writes the file's memory), and so
  // is anything past the largest file (a difference: Linux maps it, to fault with SIGBUS).
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead | kProtExec, kMapShared, rw_fd, 0) == -kEACCES);
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead, kMapShared, rw_fd, fs::RegularInode::kMaxSize) ==
        -kENOMEM);
  CHECK(sys_mmap(f.task, 0, kPageSize, rw, kMapShared, rw_fd, 0) > 0);
  // A refused MAP_FIXED leaves what was there.
  const uint64_t fixed = f.buffer(kPageSize);
  REQUIRE(f.process.mm.copy_out(fixed, "kept", 4));
  CHECK(sys_mmap(f.task, fixed, kPageSize, rw, kMapShared | kMapFixed, ro, 0) == -kEACCES);
  CHECK(f.bytes(fixed, 4) == "kept");
  CHECK(sys_mmap(f.task, fixed, kPageSize, kProtRead, kMapPrivate | kMapFixed, rw_fd, 0) ==
        static_cast<int64_t>(fixed));
  CHECK(f.bytes(fixed, 8) == "contents");
}

TEST_CASE("mmap MAP_SHARED of a file: stores reach read, writes reach every mapping") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/tmp/s", kOCreat | kORdwr));
  REQUIRE(f.write(fd, "contents") == 8);
  REQUIRE(sys_ftruncate(f.task, fd, 2 * kPageSize) == 0);
  const uint32_t rw = kProtRead | kProtWrite;
  const int64_t a = sys_mmap(f.task, 0, 2 * kPageSize, rw, kMapShared, fd, 0);
  REQUIRE(a > 0);
  const auto at = static_cast<uint64_t>(a);
  CHECK(f.bytes(at, 9) == std::string("contents\0", 9));
  REQUIRE(f.process.mm.copy_out(at, "C", 1));
  CHECK(sys_pread64(f.task, fd, f.buffer(), 8, 0) == 8);
  CHECK(f.bytes(f.buffer(), 8) == "Contents");
  REQUIRE(f.process.mm.copy_out(f.buffer(), "X", 1));
  CHECK(sys_pwrite64(f.task, fd, f.buffer(), 1, 1) == 1);
  CHECK(f.bytes(at, 2) == "CX");
  // Another mapping of the second page, and the first page's futex words meet across them.
  int64_t b = sys_mmap(f.task, 0, kPageSize, rw, kMapShared, fd, kPageSize);
  REQUIRE(b > 0);
  REQUIRE(f.process.mm.copy_out(static_cast<uint64_t>(b) + 8, "two", 3));
  CHECK(f.bytes(at + kPageSize + 8, 3) == "two");
  const void* key_a = nullptr;
  const void* key_b = nullptr;
  uint64_t offset_a = 0;
  uint64_t offset_b = 0;
  REQUIRE(f.process.mm.futex_key(at + kPageSize + 8, &key_a, &offset_a));
  REQUIRE(f.process.mm.futex_key(static_cast<uint64_t>(b) + 8, &key_b, &offset_b));
  CHECK(key_a == key_b);
  CHECK(offset_a == offset_b);
  // A fork's child shares the mappings; the file grows far past its memory object, which moves
  // to a bigger one, and every mapping (the child's too) follows: no byte lost, none stale.
  Process child{2, 1, 0, f.backend};
  REQUIRE(child.mm.copy_from(f.process.mm) == 0);
  REQUIRE(f.process.mm.copy_out(f.buffer(), std::string(4096, 'g').data(), 4096));
  for (int i = 0; i < 64; ++i)
    REQUIRE(sys_pwrite64(f.task, fd, f.buffer(), 4096, 8192 + i * 4096) == 4096);
  CHECK(f.bytes(at, 8) == "CXntents");
  REQUIRE(child.mm.copy_out(at + 2, "N", 1));
  CHECK(f.bytes(at, 3) == "CXN");
  CHECK(sys_pread64(f.task, fd, f.buffer(), 3, 0) == 3);
  CHECK(f.bytes(f.buffer(), 3) == "CXN");
  char seen[3] = {};
  REQUIRE(child.mm.copy_in(seen, static_cast<uint64_t>(b) + 8, 3));
  CHECK(std::string(seen, 3) == "two");
  // Shrinking cuts bytes: the mappings read zeros there, also after growing again.
  CHECK(sys_ftruncate(f.task, fd, 4) == 0);
  CHECK(f.bytes(at, 8) == std::string("CXNt\0\0\0\0", 8));
  CHECK(sys_ftruncate(f.task, fd, 100) == 0);
  CHECK(sys_pread64(f.task, fd, f.buffer(), 8, 0) == 8);
  CHECK(f.bytes(f.buffer(), 8) == std::string("CXNt\0\0\0\0", 8));
  // A store past the end of the file does not become file data when the file grows.
  REQUIRE(f.process.mm.copy_out(at + 200, "z", 1));
  CHECK(sys_ftruncate(f.task, fd, 300) == 0);
  CHECK(f.bytes(at + 200, 1) == std::string(1, '\0'));
  // mremap grows a file mapping over the file's next pages, in place or moved.
  CHECK(sys_mremap(f.task, static_cast<uint64_t>(b), kPageSize, 2 * kPageSize, 0, 0) == -kENOMEM);
  b = sys_mremap(f.task, static_cast<uint64_t>(b), kPageSize, 2 * kPageSize, kMremapMaymove, 0);
  REQUIRE(b > 0);
  CHECK(f.bytes(static_cast<uint64_t>(b) + 8, 3) == std::string("\0\0\0", 3));  // cut above
  CHECK(sys_ftruncate(f.task, fd, 16 * kPageSize) == 0);
  REQUIRE(f.process.mm.copy_out(static_cast<uint64_t>(b) + kPageSize, "3", 1));
  CHECK(sys_pread64(f.task, fd, f.buffer(), 1, 2 * kPageSize) == 1);
  CHECK(f.bytes(f.buffer(), 1) == "3");
  CHECK(sys_mremap(f.task, static_cast<uint64_t>(b), 2 * kPageSize, 3 * kPageSize, 0, 0) == b);
  REQUIRE(f.process.mm.copy_out(static_cast<uint64_t>(b) + 2 * kPageSize, "4", 1));
  CHECK(sys_pread64(f.task, fd, f.buffer(), 1, 3 * kPageSize) == 1);
  CHECK(f.bytes(f.buffer(), 1) == "4");
  // Never executable; writable only through a writable fd.
  CHECK(sys_mprotect(f.task, at, kPageSize, kProtRead | kProtExec) == -kEACCES);
  const auto ro = static_cast<int32_t>(f.open("/tmp/s", kORdonly));
  const int64_t r = sys_mmap(f.task, 0, kPageSize, kProtRead, kMapShared, ro, 0);
  REQUIRE(r > 0);
  CHECK(f.bytes(static_cast<uint64_t>(r), 2) == "CX");
  CHECK(sys_mprotect(f.task, static_cast<uint64_t>(r), kPageSize, rw) == -kEACCES);
  CHECK_FALSE(f.process.mm.copy_out(static_cast<uint64_t>(r), "w", 1));
  CHECK(sys_mprotect(f.task, static_cast<uint64_t>(r), kPageSize, kProtNone) == 0);
  CHECK(sys_mprotect(f.task, static_cast<uint64_t>(r), kPageSize, kProtRead) == 0);
  REQUIRE(sys_close(f.task, ro) == 0);
  // The file goes with its last name, fd and mapping: its memory is given back then.
  const uint64_t in_use = fs::RegularInode::memory_in_use();
  REQUIRE(sys_unlink(f.task, f.str("/tmp/s")) == 0);
  REQUIRE(sys_close(f.task, fd) == 0);
  CHECK(f.bytes(at, 2) == "CX");
  child.mm.clear(true);
  REQUIRE(sys_munmap(f.task, at, 2 * kPageSize) == 0);
  REQUIRE(sys_munmap(f.task, static_cast<uint64_t>(b), 3 * kPageSize) == 0);
  CHECK(fs::RegularInode::memory_in_use() == in_use);
  REQUIRE(sys_munmap(f.task, static_cast<uint64_t>(r), kPageSize) == 0);
  CHECK(fs::RegularInode::memory_in_use() == 0);
}

TEST_CASE("a shared file is read, written, cut and moved a page at a time, across pages") {
  Fixture f;
  const auto fd = static_cast<int32_t>(f.open("/tmp/pages", kOCreat | kORdwr, 0755));
  REQUIRE(fd >= 0);
  fs::InodeRef inode;
  REQUIRE(fs::resolve(f.process, fs::root(), "/tmp/pages", fs::Follow::kYes, &inode) == 0);
  fs::RegularInode* file = inode->as_regular();
  REQUIRE(file != nullptr);
  // Three pages, each full of its own letter, in the heap until share() moves them into a
  // memory object (its pages separate allocations in the host backend).
  std::string text;
  for (char c : {'a', 'b', 'c'})
    text += std::string(kPageSize, c);
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  REQUIRE(file->write(bytes, text.size(), 0) == static_cast<int64_t>(text.size()));
  REQUIRE(file->share(3 * kPageSize) == 0);
  REQUIRE(file->shared());
  CHECK(file->bytes() == nullptr);  // no contiguous bytes any more
  CHECK(file->memory().pages == 3);
  const uint32_t rw = kProtRead | kProtWrite;
  const int64_t a = sys_mmap(f.task, 0, 3 * kPageSize, rw, kMapShared, fd, 0);
  REQUIRE(a > 0);
  const auto at = static_cast<uint64_t>(a);
  CHECK(f.bytes(at + kPageSize - 2, 4) == "aabb");
  CHECK(f.bytes(at + 2 * kPageSize - 2, 4) == "bbcc");
  // A write across the boundary of pages 0 and 1 reaches both, as the mapping sees them.
  REQUIRE(file->write(reinterpret_cast<const uint8_t*>("0123456789"), 10, kPageSize - 5) == 10);
  CHECK(f.bytes(at + kPageSize - 6, 12) == "a0123456789b");
  // A read across it: the end of page 0, all of page 1, the start of page 2.
  std::string back(kPageSize + 2, '?');
  REQUIRE(file->read(reinterpret_cast<uint8_t*>(back.data()), back.size(), kPageSize - 1) ==
          static_cast<int64_t>(back.size()));
  CHECK(back == "4" + std::string("56789") + std::string(kPageSize - 5, 'b') + "c");
  // A store through the mapping across pages 1 and 2 is what read(2) gives there.
  REQUIRE(f.process.mm.copy_out(at + 2 * kPageSize - 3, "XYZW", 4));
  CHECK(sys_pread64(f.task, fd, f.buffer(), 6, 2 * kPageSize - 4) == 6);
  CHECK(f.bytes(f.buffer(), 6) == "bXYZWc");
  // An executable's bytes from a shared file: a contiguous copy of every page.
  fs::ContiguousBytes program;
  REQUIRE(program.take(*file) == 0);
  CHECK(program.copied());
  REQUIRE(program.size() == 3 * kPageSize);
  const std::string copy(reinterpret_cast<const char*>(program.data()), program.size());
  CHECK(copy.substr(kPageSize - 6, 12) == "a0123456789b");
  CHECK(copy.substr(2 * kPageSize - 4, 6) == "bXYZWc");
  CHECK(copy.substr(3 * kPageSize - 1) == "c");
  // Shrinking zeroes the cut bytes of pages 1 and 2; growing again zeroes what was stored past
  // the end meanwhile (page 2).
  REQUIRE(file->truncate(kPageSize + 10) == 0);
  CHECK(f.bytes(at + kPageSize + 8, 4) == std::string("bb\0\0", 4));
  CHECK(f.bytes(at + 3 * kPageSize - 2, 2) == std::string(2, '\0'));
  REQUIRE(f.process.mm.copy_out(at + 2 * kPageSize + 5, "s", 1));
  REQUIRE(file->truncate(3 * kPageSize) == 0);
  CHECK(f.bytes(at + 2 * kPageSize + 5, 1) == std::string(1, '\0'));
  // The file grows past its object: the bytes move to a bigger one, page by page, and the
  // mapping follows.
  REQUIRE(file->write(reinterpret_cast<const uint8_t*>("end"), 3, 5 * kPageSize - 1) == 3);
  CHECK(file->memory().pages >= 6);
  CHECK(f.bytes(at, 2) == "aa");
  CHECK(f.bytes(at + kPageSize - 6, 12) == "a0123456789b");
  CHECK(f.bytes(at + kPageSize + 8, 4) == std::string("bb\0\0", 4));
  std::string moved(6, '?');
  REQUIRE(file->read(reinterpret_cast<uint8_t*>(moved.data()), 6, kPageSize - 3) == 6);
  CHECK(moved == "234567");
  REQUIRE(file->read(reinterpret_cast<uint8_t*>(moved.data()), 3, 5 * kPageSize - 1) == 3);
  CHECK(moved.substr(0, 3) == "end");
  REQUIRE(sys_munmap(f.task, at, 3 * kPageSize) == 0);
  REQUIRE(sys_close(f.task, fd) == 0);
}

TEST_CASE("mremap: shrink, grow in place or moved, MREMAP_FIXED, MREMAP_DONTUNMAP, errors") {
  Fixture f;
  const uint32_t rw = kProtRead | kProtWrite;
  const uint64_t anon = kMapPrivate | kMapAnonymous;
  const auto a = static_cast<uint64_t>(sys_mmap(f.task, 0, 4 * kPageSize, rw, anon, -1, 0));
  REQUIRE(f.process.mm.copy_out(a, "abc", 3));
  // Shrinking stays in place; growing back into the freed pages too, with zeros.
  CHECK(sys_mremap(f.task, a, 4 * kPageSize, kPageSize, 0, 0) == static_cast<int64_t>(a));
  CHECK_FALSE(f.process.mm.contains(a + kPageSize));
  CHECK(sys_mremap(f.task, a, kPageSize, 3 * kPageSize, 0, 0) == static_cast<int64_t>(a));
  CHECK(f.bytes(a, 3) == "abc");
  CHECK(f.bytes(a + 2 * kPageSize, 4) == std::string(4, '\0'));
  // Sizes are rounded up to pages; the old range must lie in one mapping.
  CHECK(sys_mremap(f.task, a, 3 * kPageSize - 100, 3 * kPageSize, 0, 0) == static_cast<int64_t>(a));
  CHECK(sys_mremap(f.task, a, 4 * kPageSize, 5 * kPageSize, kMremapMaymove, 0) == -kEFAULT);
  CHECK(sys_mremap(f.task, a + 3 * kPageSize, kPageSize, 2 * kPageSize, 0, 0) == -kEFAULT);
  CHECK(sys_mremap(f.task, a, 0, kPageSize, kMremapMaymove, 0) == -kEINVAL);
  // A neighbour in the way: ENOMEM unless it may move; moved, the contents go along.
  const auto next = a + 3 * kPageSize;
  REQUIRE(sys_mmap(f.task, next, kPageSize, kProtRead, anon | kMapFixed, -1, 0) ==
          static_cast<int64_t>(next));
  CHECK(sys_mremap(f.task, a, 3 * kPageSize, 4 * kPageSize, 0, 0) == -kENOMEM);
  // Mapped throughout, but two mappings (another protection): EFAULT.
  CHECK(sys_mremap(f.task, a, 4 * kPageSize, 5 * kPageSize, kMremapMaymove, 0) == -kEFAULT);
  const int64_t moved = sys_mremap(f.task, a, 3 * kPageSize, 4 * kPageSize, kMremapMaymove, 0);
  REQUIRE(moved > 0);
  CHECK(moved != static_cast<int64_t>(a));
  const auto m = static_cast<uint64_t>(moved);
  CHECK(f.bytes(m, 3) == "abc");
  CHECK(f.bytes(m + 3 * kPageSize, 4) == std::string(4, '\0'));
  CHECK_FALSE(f.process.mm.contains(a));
  // MREMAP_FIXED: to a given place, replacing what is there.
  CHECK(sys_mremap(f.task, m, kPageSize, kPageSize, kMremapFixed, next) == -kEINVAL);
  CHECK(sys_mremap(f.task, m, 2 * kPageSize, kPageSize, kMremapMaymove | kMremapFixed,
                   m + kPageSize) == -kEINVAL);  // overlapping
  CHECK(sys_mremap(f.task, m, kPageSize, kPageSize, kMremapMaymove | kMremapFixed, next + 1) ==
        -kEINVAL);
  CHECK(sys_mremap(f.task, m, 4 * kPageSize, kPageSize, kMremapMaymove | kMremapFixed, next) ==
        static_cast<int64_t>(next));
  CHECK(f.bytes(next, 3) == "abc");
  REQUIRE(f.process.mm.copy_out(next, "w", 1));  // writable now, like the memory it moved
  CHECK_FALSE(f.process.mm.contains(m));
  CHECK_FALSE(f.process.mm.contains(m + 3 * kPageSize));  // the cut tail went too
  // MREMAP_DONTUNMAP: the same size only; the old range stays, zeroed (private memory).
  CHECK(sys_mremap(f.task, next, kPageSize, 2 * kPageSize, kMremapMaymove | kMremapDontunmap, 0) ==
        -kEINVAL);
  CHECK(sys_mremap(f.task, next, kPageSize, kPageSize, kMremapDontunmap, 0) == -kEINVAL);
  const int64_t kept =
      sys_mremap(f.task, next, kPageSize, kPageSize, kMremapMaymove | kMremapDontunmap, 0);
  REQUIRE(kept > 0);
  CHECK(f.bytes(static_cast<uint64_t>(kept), 3) == "wbc");
  CHECK(f.bytes(next, 3) == std::string(3, '\0'));
  // Linux's order of refusals.
  CHECK(sys_mremap(f.task, next, kPageSize, kPageSize, 8, 0) == -kEINVAL);
  CHECK(sys_mremap(f.task, next + 1, kPageSize, kPageSize, 0, 0) == -kEINVAL);
  CHECK(sys_mremap(f.task, next, kPageSize, 0, 0, 0) == -kEINVAL);
  CHECK(sys_mremap(f.task, next, kPageSize, UINT64_MAX, 0, 0) == -kEINVAL);  // wraps to 0
  CHECK(sys_mremap(f.task, kUnmapped, kPageSize, kPageSize, 0, 0) == -kEFAULT);
}

TEST_CASE("msync: flags, alignment, and ENOMEM where nothing is mapped") {
  Fixture f;
  CHECK(sys_msync(f.task, kBase, kPageSize, 4) == 0);  // MS_SYNC
  CHECK(sys_msync(f.task, kBase, 100, 1 | 2) == 0);    // MS_ASYNC | MS_INVALIDATE
  CHECK(sys_msync(f.task, kBase, kPageSize, 1 | 4) == -kEINVAL);
  CHECK(sys_msync(f.task, kBase, kPageSize, 8) == -kEINVAL);
  CHECK(sys_msync(f.task, kBase + 1, kPageSize, 4) == -kEINVAL);
  CHECK(sys_msync(f.task, kBase, 0, 4) == 0);
  CHECK(sys_msync(f.task, kUnmapped, 0, 4) == 0);  // nothing to look at
  CHECK(sys_msync(f.task, kUnmapped, 1, 4) == -kENOMEM);
  CHECK(sys_msync(f.task, kBase, (kPages + 1) * kPageSize, 4) == -kENOMEM);  // runs off the end
  CHECK(sys_msync(f.task, kBase, UINT64_MAX, 4) == 0);  // wraps to 0 pages, as in Linux
  CHECK(sys_msync(f.task, kBase, UINT64_MAX - 2 * kPageSize, 4) == -kENOMEM);
}

TEST_CASE("resolve_executable: links followed, EACCES unless an executable regular file") {
  Fixture f;
  fs::ContiguousBytes bytes;
  REQUIRE(sys_symlink(f.task, f.str("/bin/prog"), f.str("/tmp/p")) == 0);
  CHECK(fs::resolve_executable(f.task, "/tmp/p", &bytes) == 0);
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()) ==
        "\x7f"
        "ELF program bytes");
  CHECK_FALSE(bytes.copied());  // the initrd's bytes, in place
  CHECK(fs::resolve_executable(f.task, "bin/prog", &bytes) == 0);
  CHECK(fs::resolve_executable(f.task, "/etc/motd", &bytes) == -kEACCES);
  CHECK(fs::resolve_executable(f.task, "/bin", &bytes) == -kEACCES);
  CHECK(fs::resolve_executable(f.task, "/dev/null", &bytes) == -kEACCES);
  CHECK(fs::resolve_executable(f.task, "/nothere", &bytes) == -kENOENT);
  CHECK(fs::resolve_executable(f.task, "", &bytes) == -kENOENT);
  CHECK(fs::resolve_executable(f.task, "/proc/self/exe", &bytes) == 0);
}

// ---- a service's file system at /vfs (service_fs.h) ----

using Service = svc::fs::FileSystem;

// ramfs reached through the loopback transport (whole words, as the kernel carries a call), and
// the fixture with it mounted at /vfs, as the IC2 shim mounts the vfs service.
struct Served {
  Served() {
    svc::test::reset();
    svc::Env env;
    REQUIRE(ramfs->start(env) == rpc::Status::kOk);
    channel = svc::test::loopback(static_cast<Service::Server*>(ramfs.get()),
                                  &Service::dispatch_erased, Service::kInterfaceId);
    REQUIRE(fs::mount_service("vfs", channel) == 0);
  }
  // What the service itself says of `path`: its size, or -1 if it has no such node.
  int64_t service_size(const char* path) {
    Service::OpenRequest req;
    req.path.set(path);
    Service::OpenResponse resp;
    const Service::Client client(channel);
    return client.open(req, resp) == rpc::Status::kOk ? static_cast<int64_t>(resp.info.size) : -1;
  }

  std::unique_ptr<svc::ramfs::RamfsService> ramfs = std::make_unique<svc::ramfs::RamfsService>();
  Fixture f;  // after ramfs: the tree goes first
  rpc::Channel channel;
};

TEST_CASE("a service at /vfs: a file's bytes are the service's, written and read in chunks") {
  Served s;
  Fixture& f = s.f;
  CHECK(f.stat("/vfs").mode == (kSIfdir | 0755));
  CHECK(f.stat("/vfs").dev == fs::kServiceDevice);
  CHECK(f.read_file("/proc/mounts").find("vfs /vfs hmk.vfs rw 0 0\n") != std::string::npos);
  const int64_t fd = f.open("/vfs/a", kOCreat | kORdwr, 0666);
  REQUIRE(fd >= 0);
  const auto d = static_cast<int32_t>(fd);
  std::string data(1500, 'x');
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>('a' + i % 26);
  CHECK(f.write(d, data) == 1500);  // three calls of at most 512 bytes
  CHECK(s.service_size("/a") == 1500);
  CHECK(sys_lseek(f.task, d, 0, kSeekSet) == 0);
  CHECK(f.read(d, 4096) == data);
  CHECK(sys_pread64(f.task, d, f.buffer(), 1000, 1000) == 500);
  CHECK(f.bytes(f.buffer(), 500) == data.substr(1000));
  CHECK(f.stat("/vfs/a").mode == (kSIfreg | 0644));  // 0666 less the umask
  CHECK(f.stat("/vfs/a").size == 1500);
  CHECK(sys_ftruncate(f.task, d, 10000) == 0);
  CHECK(s.service_size("/a") == 10000);
  CHECK(f.stat("/vfs/a").size == 10000);
  CHECK(sys_pread64(f.task, d, f.buffer(), 100, 9950) == 50);
  CHECK(f.bytes(f.buffer(), 50) == std::string(50, '\0'));
  CHECK(sys_close(f.task, d) == 0);
  const int64_t again = f.open("/vfs/a", kOWronly | kOTrunc);
  REQUIRE(again >= 0);
  CHECK(s.service_size("/a") == 0);
  CHECK(f.stat("/vfs/a").size == 0);
  CHECK(f.write(static_cast<int32_t>(again), "tail") == 4);
  CHECK(sys_close(f.task, static_cast<int32_t>(again)) == 0);
  CHECK(f.read_file("/vfs/a") == "tail");
  // Past the service's largest file (ramfs: 32 MiB): EFBIG, as past a file size limit.
  constexpr int64_t kLimit = svc::ramfs::RamfsService::kMaxFileBytes;
  static_assert(kLimit == 32 << 20);
  const int64_t big = f.open("/vfs/a", kOWronly);
  REQUIRE(big >= 0);
  CHECK(sys_ftruncate(f.task, static_cast<int32_t>(big), kLimit + 1) == -kEFBIG);
  // A write across it stores what fits (Linux writes up to a file size limit), then EFBIG.
  const std::string chunk(1000, 'q');
  CHECK(sys_pwrite64(f.task, static_cast<int32_t>(big), f.str(chunk), 1000, kLimit - 100) == 100);
  CHECK(f.stat("/vfs/a").size == kLimit);
  CHECK(sys_pwrite64(f.task, static_cast<int32_t>(big), f.str(chunk), 1000, kLimit) == -kEFBIG);
  CHECK(sys_close(f.task, static_cast<int32_t>(big)) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/a")) == 0);
  CHECK(svc::test::live_extents() == 0);  // its bytes went with it
}

TEST_CASE("a service at /vfs: names made, listed, moved and removed through the service") {
  Served s;
  Fixture& f = s.f;
  CHECK(sys_mkdir(f.task, f.str("/vfs/d"), 0750) == 0);
  CHECK(s.service_size("/d") == 0);
  CHECK(f.stat("/vfs/d").mode == (kSIfdir | 0750));
  for (int i = 0; i < 20; ++i) {  // more than one listing call (8 entries each)
    const int64_t fd = f.open("/vfs/d/f" + std::to_string(i), kOCreat | kOWronly);
    REQUIRE(fd >= 0);
    REQUIRE(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  }
  std::vector<std::string> names = f.list("/vfs/d");
  REQUIRE(names.size() == 22);
  CHECK(names[0] == ".");
  CHECK(names[1] == "..");
  std::set<std::string> unique(names.begin() + 2, names.end());
  CHECK(unique.size() == 20);
  CHECK(unique.count("f0") == 1);
  CHECK(unique.count("f19") == 1);
  // A listing after a change is the service's new one, not what an earlier listing kept.
  REQUIRE(sys_mkdir(f.task, f.str("/vfs/small"), 0755) == 0);
  for (const char* name : {"/vfs/small/x", "/vfs/small/y"})
    REQUIRE(sys_close(f.task, static_cast<int32_t>(f.open(name, kOCreat | kOWronly))) == 0);
  const int64_t partial = f.open("/vfs/small", kORdonly | kODirectory);  // stops part way
  REQUIRE(partial >= 0);
  CHECK(sys_getdents64(f.task, static_cast<int32_t>(partial), f.buffer(), 72) == 72);
  REQUIRE(sys_close(f.task, static_cast<int32_t>(partial)) == 0);
  REQUIRE(sys_unlink(f.task, f.str("/vfs/small/x")) == 0);
  CHECK(f.list("/vfs/small") == std::vector<std::string>{".", "..", "y"});
  REQUIRE(sys_unlink(f.task, f.str("/vfs/small/y")) == 0);
  REQUIRE(sys_rmdir(f.task, f.str("/vfs/small")) == 0);
  // rename: within a directory, across, replacing a file, a directory over an empty one
  CHECK(sys_rename(f.task, f.str("/vfs/d/f0"), f.str("/vfs/g")) == 0);
  CHECK(f.stat_error("/vfs/d/f0") == -kENOENT);
  CHECK(s.service_size("/g") == 0);
  CHECK(sys_rename(f.task, f.str("/vfs/d/f1"), f.str("/vfs/g")) == 0);  // replaces
  CHECK(s.service_size("/d/f1") == -1);
  CHECK(sys_mkdir(f.task, f.str("/vfs/e"), 0755) == 0);
  CHECK(sys_rename(f.task, f.str("/vfs/d"), f.str("/vfs/e")) == 0);  // e was empty
  CHECK(s.service_size("/e/f2") == 0);
  CHECK(f.stat_error("/vfs/d") == -kENOENT);
  // Linux's errors, from the shim's checks or the service's answers
  CHECK(f.open("/vfs/nothere", kORdonly) == -kENOENT);
  CHECK(f.open("/vfs/g", kOCreat | kOExcl | kOWronly) == -kEEXIST);
  CHECK(sys_mkdir(f.task, f.str("/vfs/g"), 0755) == -kEEXIST);
  CHECK(f.open("/vfs/g/x", kORdonly) == -kENOTDIR);
  CHECK(sys_unlink(f.task, f.str("/vfs/e")) == -kEISDIR);
  CHECK(sys_rmdir(f.task, f.str("/vfs/g")) == -kENOTDIR);
  CHECK(sys_rmdir(f.task, f.str("/vfs/e")) == -kENOTEMPTY);
  CHECK(sys_rmdir(f.task, f.str("/vfs")) == -kEBUSY);
  CHECK(sys_rename(f.task, f.str("/vfs/g"), f.str("/tmp/g")) == -kEXDEV);
  CHECK(sys_link(f.task, f.str("/vfs/e"), f.str("/vfs/h")) == -kEPERM);  // a directory
  CHECK(sys_link(f.task, f.str("/vfs/g"), f.str("/vfs/e")) == -kEEXIST);
  CHECK(sys_link(f.task, f.str("/vfs/g"), f.str("/tmp/g")) == -kEXDEV);
  CHECK(sys_link(f.task, f.str("/etc/motd"), f.str("/vfs/motd")) == -kEXDEV);
  CHECK(sys_link(f.task, f.str("/vfs/g"), f.str("/vfs/nothere/g")) == -kENOENT);
  CHECK(sys_link(f.task, f.str("/vfs/g"), f.str("/vfs/" + std::string(64, 'l'))) == -kENAMETOOLONG);
  // Symbolic links: the service keeps the target as the node's bytes; the shim follows it.
  REQUIRE(sys_symlink(f.task, f.str("g"), f.str("/vfs/h")) == 0);
  CHECK(f.readlink("/vfs/h") == "g");
  CHECK(f.stat("/vfs/h", false).mode == (kSIflnk | 0777));
  CHECK(f.stat("/vfs/h").ino == f.stat("/vfs/g").ino);  // followed
  CHECK(s.service_size("/h") == 1);
  REQUIRE(sys_symlink(f.task, f.str("/vfs/e/f2"), f.str("/vfs/e/abs")) == 0);
  CHECK(f.stat("/vfs/e/abs").ino == f.stat("/vfs/e/f2").ino);
  CHECK(f.open("/vfs/h/x", kORdonly) == -kENOTDIR);
  CHECK(sys_symlink(f.task, f.str(std::string(4096, 't')), f.str("/vfs/long")) == -kENAMETOOLONG);
  CHECK(sys_symlink(f.task, f.str("g"), f.str("/vfs/h")) == -kEEXIST);
  {
    std::vector<std::string> names = f.list("/vfs");
    CHECK(std::count(names.begin(), names.end(), "h") == 1);
  }
  // A file renamed over a link replaces the link.
  REQUIRE(sys_symlink(f.task, f.str("nowhere"), f.str("/vfs/e/l")) == 0);
  REQUIRE(sys_rename(f.task, f.str("/vfs/e/f3"), f.str("/vfs/e/l")) == 0);
  CHECK(f.stat("/vfs/e/l", false).mode == (kSIfreg | 0644));
  REQUIRE(sys_rename(f.task, f.str("/vfs/e/l"), f.str("/vfs/e/f3")) == 0);
  REQUIRE(sys_unlink(f.task, f.str("/vfs/h")) == 0);
  REQUIRE(sys_unlink(f.task, f.str("/vfs/e/abs")) == 0);
  CHECK(f.stat("/vfs/g").size == 0);  // unlinking the link leaves the file
  CHECK(sys_mkdir(f.task, f.str("/vfs/" + std::string(300, 'n')), 0755) == -kENAMETOOLONG);
  // ramfs's names are at most 63 bytes: a longer one (the shim allows 255) is ENAMETOOLONG
  // from the service, whatever the call.
  const std::string name64 = "/vfs/" + std::string(64, 'n');
  CHECK(sys_mkdir(f.task, f.str(name64), 0755) == -kENAMETOOLONG);
  CHECK(f.stat_error(name64) == -kENAMETOOLONG);
  CHECK(f.open(name64, kOCreat | kOWronly) == -kENAMETOOLONG);
  CHECK(sys_unlink(f.task, f.str(name64)) == -kENAMETOOLONG);
  CHECK(fs::resolve_executable(f.task, "/vfs/g", nullptr) == -kEACCES);  // no execute bit
  {  // a program there: its bytes copied out of the service for the loader
    const int64_t fd = f.open("/vfs/prog", kOCreat | kOWronly, 0755);
    REQUIRE(fd >= 0);
    const std::string image =
        "\x7f"
        "ELF" +
        std::string(1200, 'p');
    REQUIRE(f.write(static_cast<int32_t>(fd), image) == static_cast<int64_t>(image.size()));
    REQUIRE(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
    fs::ContiguousBytes bytes;
    REQUIRE(fs::resolve_executable(f.task, "/vfs/prog", &bytes) == 0);
    CHECK(bytes.copied());
    CHECK(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()) == image);
    REQUIRE(sys_unlink(f.task, f.str("/vfs/prog")) == 0);
  }
  CHECK(sys_unlink(f.task, f.str("/vfs/g")) == 0);
  CHECK(s.service_size("/g") == -1);
  for (int i = 2; i < 20; ++i)
    REQUIRE(sys_unlink(f.task, f.str("/vfs/e/f" + std::to_string(i))) == 0);
  CHECK(sys_rmdir(f.task, f.str("/vfs/e")) == 0);
  CHECK(f.list("/vfs") == std::vector<std::string>{".", ".."});
}

TEST_CASE("a service at /vfs: removing names while listing them in pieces, as rm -r does") {
  Served s;
  Fixture& f = s.f;
  REQUIRE(sys_mkdir(f.task, f.str("/vfs/d"), 0755) == 0);
  for (int i = 0; i < 40; ++i) {
    const int64_t fd = f.open("/vfs/d/file" + std::to_string(i), kOCreat | kOWronly);
    REQUIRE(fd >= 0);
    REQUIRE(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  }
  const int64_t dir = f.open("/vfs/d", kORdonly | kODirectory);
  REQUIRE(dir >= 0);
  std::set<std::string> removed;
  for (int calls = 0; calls < 100; ++calls) {  // a small buffer: a few names a call
    const int64_t n = sys_getdents64(f.task, static_cast<int32_t>(dir), f.buffer(), 200);
    REQUIRE(n >= 0);
    if (n == 0) break;
    const std::string raw = f.bytes(f.buffer(), static_cast<size_t>(n));
    for (size_t at = 0; at < raw.size();) {
      uint16_t reclen = 0;
      std::memcpy(&reclen, raw.data() + at + 16, 2);
      const std::string name = raw.c_str() + at + 19;
      at += reclen;
      if (name == "." || name == "..") continue;
      CHECK(removed.insert(name).second);  // each name once
      REQUIRE(sys_unlink(f.task, f.str("/vfs/d/" + name)) == 0);
    }
    // A name made meanwhile may be listed or not, but the listing still ends.
    const int64_t fd = f.open("/vfs/d/new" + std::to_string(calls), kOCreat | kOWronly);
    REQUIRE(fd >= 0);
    REQUIRE(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  }
  CHECK(sys_close(f.task, static_cast<int32_t>(dir)) == 0);
  size_t originals = 0;
  for (const std::string& name : removed)
    originals += name.rfind("file", 0) == 0 ? 1 : 0;
  CHECK(originals == 40);  // every name that was there throughout, none skipped
  for (const std::string& name : f.list("/vfs/d"))
    if (name != "." && name != "..") REQUIRE(sys_unlink(f.task, f.str("/vfs/d/" + name)) == 0);
  CHECK(sys_rmdir(f.task, f.str("/vfs/d")) == 0);
}

TEST_CASE("a service at /vfs: the working directory follows a rename; attributes stay") {
  Served s;
  Fixture& f = s.f;
  REQUIRE(sys_mkdir(f.task, f.str("/vfs/a"), 0755) == 0);
  REQUIRE(sys_mkdir(f.task, f.str("/vfs/a/b"), 0755) == 0);
  REQUIRE(sys_chdir(f.task, f.str("/vfs/a/b")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == 9);
  CHECK(f.bytes(f.buffer(), 9) == std::string("/vfs/a/b\0", 9));
  REQUIRE(sys_rename(f.task, f.str("/vfs/a"), f.str("/vfs/z")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == 9);
  CHECK(f.bytes(f.buffer(), 9) == std::string("/vfs/z/b\0", 9));
  const int64_t fd = f.open("here", kOCreat | kOWronly);  // relative: made in /z/b
  REQUIRE(fd >= 0);
  CHECK(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  CHECK(s.service_size("/z/b/here") == 0);
  CHECK(f.stat("..").ino == f.stat("/vfs/z").ino);
  CHECK(sys_chmod(f.task, f.str("/vfs/z/b/here"), 0600) == 0);
  CHECK(f.stat("/vfs/z/b/here").mode == (kSIfreg | 0600));  // the shim's inode keeps it
  CHECK(f.stat("here").ino == f.stat("/vfs/z/b/here").ino);
  REQUIRE(sys_chdir(f.task, f.str("/")) == 0);
}

TEST_CASE("a service at /vfs: private maps copy; shared ones map the shim's memory, written back") {
  Served s;
  Fixture& f = s.f;
  const int64_t fd = f.open("/vfs/m", kOCreat | kORdwr);
  REQUIRE(fd >= 0);
  const auto d = static_cast<int32_t>(fd);
  REQUIRE(f.write(d, "mapped bytes") == 12);
  const int64_t at = sys_mmap(f.task, 0, kPageSize, kProtRead, kMapPrivate, d, 0);
  REQUIRE(at > 0);
  CHECK(f.bytes(static_cast<uint64_t>(at), 13) == std::string("mapped bytes\0", 13));
  CHECK(sys_munmap(f.task, static_cast<uint64_t>(at), kPageSize) == 0);
  const uint32_t rw = kProtRead | kProtWrite;
  CHECK(sys_mmap(f.task, 0, kPageSize, kProtRead | kProtExec, kMapShared, d, 0) == -kEACCES);
  const int64_t m = sys_mmap(f.task, 0, 2 * kPageSize, rw, kMapShared, d, 0);
  REQUIRE(m > 0);
  const auto map = static_cast<uint64_t>(m);
  CHECK(f.bytes(map, 13) == std::string("mapped bytes\0", 13));
  // A store is what read sees at once, and reaches the service with msync(MS_SYNC) only.
  REQUIRE(f.process.mm.copy_out(map, "M", 1));
  CHECK(sys_pread64(f.task, d, f.buffer(), 12, 0) == 12);
  CHECK(f.bytes(f.buffer(), 12) == "Mapped bytes");
  auto service_bytes = [&](uint64_t offset, uint32_t length) {
    Service::ReadRequest req;
    req.node = f.stat("/vfs/m").ino;
    req.offset = offset;
    req.length = length;
    Service::ReadResponse resp;
    REQUIRE(Service::Client(s.channel).read(req, resp) == rpc::Status::kOk);
    return std::string(reinterpret_cast<const char*>(resp.data.data), resp.data.size);
  };
  CHECK(service_bytes(0, 12) == "mapped bytes");
  CHECK(sys_msync(f.task, map, kPageSize, 1) == 0);  // MS_ASYNC: nothing yet
  CHECK(service_bytes(0, 12) == "mapped bytes");
  CHECK(sys_msync(f.task, map, kPageSize, 4) == 0);  // MS_SYNC
  CHECK(service_bytes(0, 12) == "Mapped bytes");
  // write(2) reaches the service and every mapping; growing the file past the mapping's first
  // page shows in its second.
  CHECK(sys_pwrite64(f.task, d, f.str("W"), 1, 1) == 1);
  CHECK(f.bytes(map, 3) == "MWp");
  CHECK(service_bytes(0, 3) == "MWp");
  CHECK(sys_pwrite64(f.task, d, f.str("second page"), 11, kPageSize + 5) == 11);
  CHECK(f.bytes(map + kPageSize + 5, 11) == "second page");
  CHECK(f.stat("/vfs/m").size == kPageSize + 16);
  // A second shared mapping, and fsync as the way back for stores.
  const int64_t m2 = sys_mmap(f.task, 0, kPageSize, kProtRead | kProtWrite, kMapShared, d, 0);
  REQUIRE(m2 > 0);
  REQUIRE(f.process.mm.copy_out(static_cast<uint64_t>(m2) + 2, "P", 1));
  CHECK(f.bytes(map, 3) == "MWP");
  CHECK(sys_fsync(f.task, d) == 0);
  CHECK(service_bytes(0, 3) == "MWP");
  // truncate: the mapping's bytes past the new end read as zeros.
  CHECK(sys_ftruncate(f.task, d, 2) == 0);
  CHECK(f.bytes(map, 3) == std::string("MW\0", 3));
  CHECK(s.service_size("/m") == 2);
  // The bytes stay with the mappings after close and unlink.
  CHECK(sys_close(f.task, d) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/m")) == 0);
  CHECK(svc::test::live_extents() == 0);
  REQUIRE(f.process.mm.copy_out(map + 1, "z", 1));
  CHECK(f.bytes(static_cast<uint64_t>(m2), 2) == "Mz");
  CHECK(sys_munmap(f.task, map, 2 * kPageSize) == 0);
  CHECK(sys_munmap(f.task, static_cast<uint64_t>(m2), kPageSize) == 0);
}

TEST_CASE("a service at /vfs: the shared bytes go back with the last mapping, holes stay holes") {
  Served s;
  Fixture& f = s.f;
  const uint64_t in_use = fs::RegularInode::memory_in_use();
  const auto d = static_cast<int32_t>(f.open("/vfs/m", kOCreat | kORdwr));
  REQUIRE(f.write(d, "abcdef") == 6);
  const uint32_t rw = kProtRead | kProtWrite;
  const int64_t a = sys_mmap(f.task, 0, kPageSize, rw, kMapShared, d, 0);
  const int64_t b = sys_mmap(f.task, 0, kPageSize, kProtRead, kMapShared, d, 0);
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  CHECK(fs::RegularInode::memory_in_use() > in_use);
  REQUIRE(f.process.mm.copy_out(static_cast<uint64_t>(a), "X", 1));
  CHECK(sys_munmap(f.task, static_cast<uint64_t>(a), kPageSize) == 0);
  CHECK(fs::RegularInode::memory_in_use() > in_use);  // one mapping left
  CHECK(sys_munmap(f.task, static_cast<uint64_t>(b), kPageSize) == 0);
  // The last one gone: the store is in the service, the shim's copy is gone.
  CHECK(fs::RegularInode::memory_in_use() == in_use);
  CHECK(sys_close(f.task, d) == 0);
  CHECK(f.read_file("/vfs/m") == "Xbcdef");
  // A sparse file mapped and synced: nothing was stored, so nothing is written (no extent).
  const auto h = static_cast<int32_t>(f.open("/vfs/sparse", kOCreat | kORdwr));
  const uint64_t extents = svc::test::live_extents();
  REQUIRE(sys_ftruncate(f.task, h, 4 << 20) == 0);
  const int64_t m = sys_mmap(f.task, 0, kPageSize, kProtRead, kMapShared, h, 0);
  REQUIRE(m > 0);
  CHECK(sys_msync(f.task, static_cast<uint64_t>(m), kPageSize, 4) == 0);
  CHECK(sys_fsync(f.task, h) == 0);
  CHECK(sys_munmap(f.task, static_cast<uint64_t>(m), kPageSize) == 0);
  CHECK(svc::test::live_extents() == extents);
  CHECK(sys_close(f.task, h) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/sparse")) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/m")) == 0);
}

TEST_CASE("a service at /vfs: a shared file that cannot grow in the shim changes nowhere") {
  Served s;
  Fixture& f = s.f;
  const auto d = static_cast<int32_t>(f.open("/vfs/g", kOCreat | kORdwr));
  REQUIRE(f.write(d, std::string(100, 'g')) == 100);
  const int64_t m = sys_mmap(f.task, 0, kPageSize, kProtRead | kProtWrite, kMapShared, d, 0);
  REQUIRE(m > 0);
  // The shim's budget for file data, all but spent.
  const auto t = static_cast<int32_t>(f.open("/tmp/fill", kOCreat | kORdwr));
  const auto t2 = static_cast<int32_t>(f.open("/tmp/fill2", kOCreat | kORdwr));
  REQUIRE(sys_ftruncate(f.task, t2, fs::RegularInode::kMaxSize) == 0);
  const uint64_t rest = fs::RegularInode::kBudget - fs::RegularInode::memory_in_use();
  REQUIRE(sys_ftruncate(f.task, t, static_cast<int64_t>(rest)) == 0);
  CHECK(sys_ftruncate(f.task, d, 1 << 20) == -kENOSPC);
  CHECK(s.service_size("/g") == 100);
  CHECK(f.stat("/vfs/g").size == 100);
  CHECK(sys_pwrite64(f.task, d, f.str("late"), 4, 2 << 20) == -kENOSPC);
  CHECK(s.service_size("/g") == 100);
  CHECK(f.stat("/vfs/g").size == 100);
  CHECK(sys_pwrite64(f.task, d, f.str("fits"), 4, 10) == 4);  // within what the copy has
  CHECK(f.bytes(static_cast<uint64_t>(m) + 10, 4) == "fits");
  CHECK(sys_munmap(f.task, static_cast<uint64_t>(m), kPageSize) == 0);
  CHECK(sys_close(f.task, t) == 0);
  CHECK(sys_close(f.task, t2) == 0);
  CHECK(sys_unlink(f.task, f.str("/tmp/fill")) == 0);
  CHECK(sys_unlink(f.task, f.str("/tmp/fill2")) == 0);
  CHECK(sys_close(f.task, d) == 0);
  CHECK(f.read_file("/vfs/g").substr(8, 6) == "ggfits");
  CHECK(sys_unlink(f.task, f.str("/vfs/g")) == 0);
}

TEST_CASE("a service at /vfs: an open file outlives its name, hidden, as on NFS") {
  Served s;
  Fixture& f = s.f;
  const int64_t fd = f.open("/vfs/u", kOCreat | kORdwr);
  REQUIRE(fd >= 0);
  const auto d = static_cast<int32_t>(fd);
  REQUIRE(f.write(d, "kept bytes") == 10);
  CHECK(sys_unlink(f.task, f.str("/vfs/u")) == 0);
  CHECK(f.stat_error("/vfs/u") == -kENOENT);
  CHECK(sys_pread64(f.task, d, f.buffer(), 10, 0) == 10);  // the bytes stay while it is open
  CHECK(f.bytes(f.buffer(), 10) == "kept bytes");
  CHECK(f.write(d, "!") == 1);
  REQUIRE(sys_fstat(f.task, d, f.buffer()) == 0);
  CHECK(f.get<Stat>(f.buffer()).nlink == 0);
  const uint64_t ino = f.get<Stat>(f.buffer()).ino;
  CHECK(f.get<Stat>(f.buffer()).size == 11);
  CHECK(f.list("/vfs") == std::vector<std::string>{".", ".."});  // its hidden name is not shown
  {  // nor can it be reached or made by name
    char hidden[64];
    std::snprintf(hidden, sizeof(hidden), "/vfs/.hmk-unlinked-%lx",
                  static_cast<unsigned long>(ino));
    CHECK(f.stat_error(hidden) == -kENOENT);
    CHECK(sys_unlink(f.task, f.str(hidden)) == -kENOENT);
    CHECK(f.open(hidden, kOCreat | kOWronly) == -kEPERM);
    CHECK(sys_mkdir(f.task, f.str("/vfs/.hmk-unlinked-x"), 0755) == -kEPERM);
  }
  Service::UsageResponse usage;
  REQUIRE(Service::Client(s.channel).usage(Service::UsageRequest{}, usage) == rpc::Status::kOk);
  CHECK(usage.usage.nodes == 2);     // the root and the hidden file
  CHECK(sys_close(f.task, d) == 0);  // the last reference: the node goes
  REQUIRE(Service::Client(s.channel).usage(Service::UsageRequest{}, usage) == rpc::Status::kOk);
  CHECK(usage.usage.nodes == 1);  // the root alone
  CHECK(svc::test::live_extents() == 0);
  // A rename over an open file keeps that file's bytes too.
  for (const char* name : {"/vfs/old", "/vfs/new"}) {
    const int64_t w = f.open(name, kOCreat | kOWronly);
    REQUIRE(w >= 0);
    REQUIRE(f.write(static_cast<int32_t>(w), name) == static_cast<int64_t>(std::strlen(name)));
    REQUIRE(sys_close(f.task, static_cast<int32_t>(w)) == 0);
  }
  const int64_t held = f.open("/vfs/new", kORdonly);
  REQUIRE(held >= 0);
  CHECK(sys_rename(f.task, f.str("/vfs/old"), f.str("/vfs/new")) == 0);
  CHECK(f.read_file("/vfs/new") == "/vfs/old");
  CHECK(f.read(static_cast<int32_t>(held)) == "/vfs/new");
  CHECK(sys_close(f.task, static_cast<int32_t>(held)) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/new")) == 0);
  REQUIRE(Service::Client(s.channel).usage(Service::UsageRequest{}, usage) == rpc::Status::kOk);
  CHECK(usage.usage.nodes == 1);
  // Removed by another client of the service, a node is gone: its open file reads ESTALE.
  const int64_t g = f.open("/vfs/g", kOCreat | kORdwr);
  REQUIRE(g >= 0);
  Service::RemoveRequest remove;
  remove.path.set("/g");
  Service::RemoveResponse removed;
  REQUIRE(Service::Client(s.channel).remove(remove, removed) == rpc::Status::kOk);
  CHECK(sys_pread64(f.task, static_cast<int32_t>(g), f.buffer(), 4, 0) == -kESTALE);
  CHECK(sys_close(f.task, static_cast<int32_t>(g)) == 0);
}

// A node's attributes as the service has them ("mode uid gid atime mtime ctime", times in ns),
// or "none".
std::string service_attributes(const rpc::Channel& channel, const char* path) {
  Service::OpenRequest req;
  req.path.set(path);
  Service::OpenResponse resp;
  if (Service::Client(channel).open(req, resp) != rpc::Status::kOk) return "none";
  const svc::fs::NodeInfo& i = resp.info;
  return std::to_string(i.mode) + " " + std::to_string(i.uid) + " " + std::to_string(i.gid) + " " +
         std::to_string(i.atime) + " " + std::to_string(i.mtime) + " " + std::to_string(i.ctime);
}

// The same as the shim reports them (lstat).
std::string shim_attributes(Fixture& f, const std::string& path) {
  const Stat st = f.stat(path, false);
  auto ns = [](Timespec t) { return std::to_string(t.sec * 1'000'000'000 + t.nsec); };
  return std::to_string(st.mode & kPermissionBits) + " " + std::to_string(st.uid) + " " +
         std::to_string(st.gid) + " " + ns(st.atime) + " " + ns(st.mtime) + " " + ns(st.ctime);
}

TEST_CASE("a service at /vfs: modes, owners and times are the service's") {
  Served s;
  Fixture& f = s.f;
  const Service::Client client(s.channel);
  // Made by another client: the shim shows what the service has.
  Service::CreateRequest create;
  create.path.set("/d");
  create.kind = svc::fs::NodeKind::kDirectory;
  create.mode = 0700;
  create.uid = 7;
  create.gid = 8;
  create.time = 3'000'000'005;
  Service::CreateResponse made;
  REQUIRE(client.create(create, made) == rpc::Status::kOk);
  CHECK(f.stat("/vfs/d").mode == (kSIfdir | 0700));
  CHECK(f.stat("/vfs/d").uid == 7);
  CHECK(f.stat("/vfs/d").gid == 8);
  CHECK(f.stat("/vfs/d").mtime.sec == 3);
  CHECK(f.stat("/vfs/d").mtime.nsec == 5);
  CHECK(shim_attributes(f, "/vfs/d") == "448 7 8 3000000005 3000000005 3000000005");
  // Made and changed through the shim: the service has what the shim reports, at each step.
  const int64_t fd = f.open("/vfs/d/n", kOCreat | kORdwr, 0666);
  REQUIRE(fd >= 0);
  CHECK(service_attributes(s.channel, "/d/n") == shim_attributes(f, "/vfs/d/n"));
  CHECK(service_attributes(s.channel, "/d/n").starts_with("420 0 0 "));  // 0666 less the umask
  CHECK(service_attributes(s.channel, "/d") == shim_attributes(f, "/vfs/d"));
  const std::string made_at = shim_attributes(f, "/vfs/d/n");
  CHECK(f.write(static_cast<int32_t>(fd), "abc") == 3);
  CHECK(service_attributes(s.channel, "/d/n") == shim_attributes(f, "/vfs/d/n"));
  CHECK(shim_attributes(f, "/vfs/d/n") != made_at);  // mtime and ctime moved
  CHECK(sys_ftruncate(f.task, static_cast<int32_t>(fd), 1) == 0);
  CHECK(service_attributes(s.channel, "/d/n") == shim_attributes(f, "/vfs/d/n"));
  CHECK(sys_chmod(f.task, f.str("/vfs/d/n"), 04751) == 0);
  CHECK(service_attributes(s.channel, "/d/n").starts_with("2537 0 0 "));
  CHECK(sys_chown(f.task, f.str("/vfs/d/n"), 1000, 0xffffffff) == 0);  // set-user-ID goes
  CHECK(service_attributes(s.channel, "/d/n").starts_with("489 1000 0 "));
  CHECK(service_attributes(s.channel, "/d/n") == shim_attributes(f, "/vfs/d/n"));
  const Timespec times[2] = {{100, 5}, {200, 6}};
  REQUIRE(f.process.mm.copy_out(f.buffer(1024), times, sizeof(times)));
  CHECK(sys_utimensat(f.task, static_cast<int32_t>(fd), 0, f.buffer(1024), 0) == 0);
  CHECK(service_attributes(s.channel, "/d/n").starts_with("489 1000 0 100000000005 200000000006 "));
  CHECK(service_attributes(s.channel, "/d/n") == shim_attributes(f, "/vfs/d/n"));
  REQUIRE(sys_symlink(f.task, f.str("n"), f.str("/vfs/d/l")) == 0);
  CHECK(sys_lchown(f.task, f.str("/vfs/d/l"), 5, 6) == 0);
  CHECK(service_attributes(s.channel, "/d/l").starts_with("511 5 6 "));
  CHECK(service_attributes(s.channel, "/d/l") == shim_attributes(f, "/vfs/d/l"));
  CHECK(sys_link(f.task, f.str("/vfs/d/n"), f.str("/vfs/m")) == 0);
  CHECK(service_attributes(s.channel, "/m") == shim_attributes(f, "/vfs/m"));
  CHECK(service_attributes(s.channel, "/") == shim_attributes(f, "/vfs"));
  CHECK(sys_rename(f.task, f.str("/vfs/m"), f.str("/vfs/d/m")) == 0);
  CHECK(service_attributes(s.channel, "/") == shim_attributes(f, "/vfs"));
  CHECK(service_attributes(s.channel, "/d") == shim_attributes(f, "/vfs/d"));
  CHECK(service_attributes(s.channel, "/d/n") == shim_attributes(f, "/vfs/d/n"));
  CHECK(sys_unlink(f.task, f.str("/vfs/d/m")) == 0);
  CHECK(service_attributes(s.channel, "/d") == shim_attributes(f, "/vfs/d"));
  CHECK(service_attributes(s.channel, "/d/n") == shim_attributes(f, "/vfs/d/n"));
  // A change the service refuses (the node is gone behind the shim) changes nothing.
  const std::string before = shim_attributes(f, "/vfs/d/n");
  Service::RemoveRequest remove;
  remove.path.set("/d/n");
  Service::RemoveResponse removed;
  REQUIRE(client.remove(remove, removed) == rpc::Status::kOk);
  CHECK(sys_fchmod(f.task, static_cast<int32_t>(fd), 0600) == -kESTALE);
  CHECK(sys_fchown(f.task, static_cast<int32_t>(fd), 1, 1) == -kESTALE);
  CHECK(sys_utimensat(f.task, static_cast<int32_t>(fd), 0, 0, 0) == -kESTALE);
  REQUIRE(sys_fstat(f.task, static_cast<int32_t>(fd), f.buffer()) == 0);
  const Stat st = f.get<Stat>(f.buffer());
  CHECK(st.mode == (kSIfreg | 0751));
  CHECK(st.uid == 1000);
  CHECK(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/d/l")) == 0);
  CHECK(sys_rmdir(f.task, f.str("/vfs/d")) == 0);
}

// ---- a root served by vfs (fs::init_on_service) ----

// ramfs through the loopback transport, and the fixture with its root on it.
struct ServedRoot {
  explicit ServedRoot(std::vector<uint8_t> archive = Fixture::standard_archive())
      : channel(start(ramfs.get())),
        fixture(std::make_unique<Fixture>(std::move(archive), &channel)),
        f(*fixture) {}
  // The tree first, then the files left in the service (the initrd's).
  ~ServedRoot() {
    fixture.reset();
    ramfs->stop();
  }
  static rpc::Channel start(svc::ramfs::RamfsService* ramfs) {
    svc::test::reset();
    svc::Env env;
    REQUIRE(ramfs->start(env) == rpc::Status::kOk);
    return svc::test::loopback(static_cast<Service::Server*>(ramfs), &Service::dispatch_erased,
                               Service::kInterfaceId);
  }
  // What the service itself says of `path`: its size, or -1 if it has no such node.
  int64_t service_size(const char* path) {
    Service::OpenRequest req;
    req.path.set(path);
    Service::OpenResponse resp;
    return Service::Client(channel).open(req, resp) == rpc::Status::kOk
               ? static_cast<int64_t>(resp.info.size)
               : -1;
  }

  std::unique_ptr<svc::ramfs::RamfsService> ramfs = std::make_unique<svc::ramfs::RamfsService>();
  rpc::Channel channel;
  std::unique_ptr<Fixture> fixture;
  Fixture& f;
};

TEST_CASE("a root on vfs: the initrd's files in the service, /dev and /proc over it") {
  ServedRoot s;
  Fixture& f = s.f;
  CHECK(fs::root_served());
  CHECK(g_skipped.empty());
  CHECK(f.read_file("/proc/mounts").starts_with("vfs / hmk.vfs rw 0 0\ndevtmpfs /dev "));
  CHECK(f.stat("/").dev == fs::kServiceDevice);
  CHECK(f.read_file("/etc/motd") == "hello, world\n");
  CHECK(f.readlink("/etc/link") == "motd");
  CHECK(f.read_file("/etc/link") == "hello, world\n");
  CHECK(f.read_file("/deep/er/file") == "implied parents");
  // The bytes and attributes are the service's.
  CHECK(service_attributes(s.channel, "/etc/hostname").starts_with("384 0 0 "));  // 0600
  CHECK(service_attributes(s.channel, "/bin/prog").starts_with("493 0 0 "));      // 0755
  CHECK(service_attributes(s.channel, "/deep/er").starts_with("493 0 0 "));       // made: 0755
  CHECK(service_attributes(s.channel, "/tmp").starts_with("1023 0 0 "));          // 1777
  CHECK(s.service_size("/etc/motd") == 13);
  // /dev and /proc are the shim's, over directories of the service's.
  CHECK(service_attributes(s.channel, "/dev").starts_with("493 "));
  CHECK(service_attributes(s.channel, "/proc").starts_with("493 "));
  CHECK(f.stat("/dev").dev == fs::kDevDevice);
  CHECK(f.stat("/proc").dev == fs::kProcDevice);
  CHECK((f.stat("/dev/null").mode & kSIfmt) == kSIfchr);
  CHECK(f.readlink("/proc/self/exe") == "/bin/prog");
  std::vector<std::string> names = f.list("/");
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{".", "..", "bin", "deep", "dev", "etc", "proc", "tmp"});
  REQUIRE(sys_chdir(f.task, f.str("/dev/..")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == 2);
  CHECK(f.bytes(f.buffer(), 2) == std::string("/\0", 2));
  REQUIRE(sys_chdir(f.task, f.str("/proc")) == 0);
  CHECK(sys_getcwd(f.task, f.buffer(), 100) == 6);
  CHECK(sys_rmdir(f.task, f.str("/dev")) == -kEBUSY);
  CHECK(sys_rename(f.task, f.str("/proc"), f.str("/x")) == -kEBUSY);
  CHECK(sys_rename(f.task, f.str("/etc"), f.str("/dev")) == -kEBUSY);
  CHECK(sys_mkdir(f.task, f.str("/dev"), 0755) == -kEEXIST);
  CHECK(sys_unlink(f.task, f.str("/proc")) == -kEISDIR);
  // Made through the shim, in the service.
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/d"), 0700) == 0);
  const int64_t fd = f.open("/tmp/d/x", kOCreat | kOWronly);
  REQUIRE(fd >= 0);
  CHECK(f.write(static_cast<int32_t>(fd), "data") == 4);
  CHECK(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  CHECK(s.service_size("/tmp/d/x") == 4);
  CHECK(sys_unlink(f.task, f.str("/tmp/d/x")) == 0);
  CHECK(sys_rmdir(f.task, f.str("/tmp/d")) == 0);
}

TEST_CASE("a root on vfs: names found before cost no call; removed and moved names go first") {
  ServedRoot s;
  Fixture& f = s.f;
  const int64_t fd = f.open("/tmp/a", kOCreat | kOWronly);
  REQUIRE(fd >= 0);
  REQUIRE(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  const uint64_t ino = f.stat("/tmp/a").ino;
  uint64_t calls = svc::test::loopback_calls();
  CHECK(f.stat("/tmp/a").ino == ino);
  CHECK(f.stat("/etc/motd").size == 13);  // made by the import: in the cache too
  CHECK(svc::test::loopback_calls() == calls);
  // Removed, made again: the new node, not the old one.
  REQUIRE(sys_unlink(f.task, f.str("/tmp/a")) == 0);
  CHECK(f.stat_error("/tmp/a") == -kENOENT);
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/a"), 0700) == 0);
  CHECK(f.stat("/tmp/a").mode == (kSIfdir | 0700));
  CHECK(f.stat("/tmp/a").ino != ino);
  // Moved: the old name is gone, the new one the node; over another name, that one's node goes.
  REQUIRE(sys_rename(f.task, f.str("/tmp/a"), f.str("/tmp/b")) == 0);
  CHECK(f.stat_error("/tmp/a") == -kENOENT);
  CHECK(f.stat("/tmp/b").mode == (kSIfdir | 0700));
  REQUIRE(sys_rmdir(f.task, f.str("/tmp/b")) == 0);
  CHECK(f.stat_error("/tmp/b") == -kENOENT);
  // More names than the cache holds: each still the right node.
  std::vector<uint64_t> inos;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "/tmp/f" + std::to_string(i);
    const int64_t made = f.open(name, kOCreat | kOWronly);
    REQUIRE(made >= 0);
    REQUIRE(f.write(static_cast<int32_t>(made), std::string(i, 'x')) == i);
    REQUIRE(sys_close(f.task, static_cast<int32_t>(made)) == 0);
    inos.push_back(f.stat(name).ino);
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 20; ++i) {
      const Stat st = f.stat("/tmp/f" + std::to_string(i));
      CHECK(st.ino == inos[i]);
      CHECK(st.size == i);
    }
  }
  REQUIRE(sys_link(f.task, f.str("/tmp/f3"), f.str("/tmp/g")) == 0);
  calls = svc::test::loopback_calls();
  CHECK(f.stat("/tmp/g").ino == inos[3]);  // a link made through the shim: cached too
  CHECK(svc::test::loopback_calls() == calls);
  for (int i = 0; i < 20; ++i)
    REQUIRE(sys_unlink(f.task, f.str("/tmp/f" + std::to_string(i))) == 0);
  CHECK(f.stat("/tmp/g").nlink == 1);
  REQUIRE(sys_unlink(f.task, f.str("/tmp/g")) == 0);
  CHECK(f.list("/tmp") == std::vector<std::string>{".", ".."});
}

TEST_CASE("a root on vfs: a program is read from the service once, again after a change") {
  ServedRoot s;
  Fixture& f = s.f;
  fs::ContiguousBytes bytes;
  REQUIRE(fs::resolve_executable(f.task, "/bin/prog", &bytes) == 0);
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()) ==
        "\x7f"
        "ELF program bytes");
  CHECK(bytes.copied());
  // Finding the file costs what a stat costs (nothing once its names are cached); its bytes, no
  // more calls.
  const uint64_t calls = svc::test::loopback_calls();
  (void)f.stat("/bin/prog");
  const uint64_t lookup = svc::test::loopback_calls() - calls;
  fs::ContiguousBytes again;
  REQUIRE(fs::resolve_executable(f.task, "/bin/prog", &again) == 0);
  CHECK(svc::test::loopback_calls() == calls + 2 * lookup);  // the copy the file keeps
  CHECK(again.data() == bytes.data());
  fs::drop_program_images();  // the program ended: the file keeps no copy, the runner its own
  fs::ContiguousBytes third;
  const uint64_t dropped = svc::test::loopback_calls();
  REQUIRE(fs::resolve_executable(f.task, "/bin/prog", &third) == 0);
  CHECK(svc::test::loopback_calls() > dropped + lookup);
  CHECK(third.data() != bytes.data());
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()), 5) ==
        "\x7f"
        "ELF ");
  const int64_t fd = f.open("/bin/prog", kOWronly);
  REQUIRE(fd >= 0);
  CHECK(f.write(static_cast<int32_t>(fd),
                "\x7f"
                "ELF") == 4);
  CHECK(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  // The runner's copy stays as it was; the next run reads the bytes as they are now.
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()), 5) ==
        "\x7f"
        "ELF ");
  const uint64_t before = svc::test::loopback_calls();
  REQUIRE(fs::resolve_executable(f.task, "/bin/prog", &again) == 0);
  CHECK(svc::test::loopback_calls() > before + lookup);
  CHECK(again.size() == bytes.size());
  REQUIRE(sys_ftruncate(f.task, static_cast<int32_t>(f.open("/bin/prog", kOWronly)), 3) == 0);
  REQUIRE(fs::resolve_executable(f.task, "/bin/prog", &again) == 0);
  CHECK(again.size() == 3);
}

TEST_CASE("a root on vfs: what the service cannot hold is left out and said; the rest is there") {
  const std::string long_name(70, 'n');  // past ramfs's 63 bytes
  ServedRoot s(Newc()
                   .add("bin/" + long_name, 0100644, "x")
                   .add("bin/ok", 0100755, "ok")
                   .add("dev", 0100644, "a file where /dev goes")
                   .add("proc/stale", 0100644, "hidden by the mount")
                   .add("tmp", 040700)
                   .add("empty", 0100644, "")
                   .add("etc/to-nothing", 0120777, "")
                   .finish());
  Fixture& f = s.f;
  CHECK(g_skipped == std::vector<std::string>{"bin/" + long_name + ": -36", "etc/to-nothing: -22"});
  CHECK(f.read_file("/bin/ok") == "ok");
  CHECK(f.read_file("/empty").empty());
  CHECK(f.stat("/dev").dev == fs::kDevDevice);     // the file went; devtmpfs is there
  CHECK(f.stat("/tmp").mode == (kSIfdir | 0700));  // the initrd's /tmp stays as it was
  CHECK(f.stat_error("/proc/stale") == -kENOENT);
}

// An initrd as ./hmk exec writes it: hmk/exec.boot names the boot's own files.
std::vector<uint8_t> archive_with_boot_files() {
  return Newc()
      .add("bin/busybox", 0100755, "busybox")
      .add("bin/lxshim", 0100755, "the shim")
      .add("bin/ramfs", 0100755, "a service")
      .add("manifest", 0100644, "run /bin/lxshim")
      .add("hmk/exec.argv", 0100644, std::string("/bin/busybox\0", 13))
      .add("hmk/exec.boot", 0100644, "bin/lxshim\nbin/ramfs\nmanifest\n")
      .finish();
}

TEST_CASE("the boot's own files are left out of the root, tmpfs or vfs") {
  {
    Fixture f(archive_with_boot_files());
    CHECK(f.list("/bin") == std::vector<std::string>{".", "..", "busybox"});
    CHECK(f.stat_error("/manifest") == -kENOENT);
    CHECK(f.read_file("/hmk/exec.boot") == "bin/lxshim\nbin/ramfs\nmanifest\n");
  }
  ServedRoot s(archive_with_boot_files());
  Fixture& f = s.f;
  CHECK(g_skipped.empty());  // left out on purpose, not for want of room
  CHECK(f.list("/bin") == std::vector<std::string>{".", "..", "busybox"});
  CHECK(f.stat_error("/manifest") == -kENOENT);
  CHECK(s.service_size("/bin/lxshim") == -1);
  CHECK(s.service_size("/bin/busybox") == 7);
  CHECK(f.read_file("/hmk/exec.argv") == std::string("/bin/busybox\0", 13));
}

TEST_CASE("a root on vfs: a service that does not answer leaves no tree") {
  fs::shutdown();
  const std::vector<uint8_t> archive = Fixture::standard_archive();
  auto cpio = CpioArchive::open(archive.data(), archive.size(), nullptr);
  REQUIRE(cpio.ok());
  CHECK(fs::init_on_service(*cpio, rpc::Channel(), record_skipped) == -kEINVAL);
  CHECK(fs::init_on_service(*cpio, rpc::Channel::ipc(77, Service::kInterfaceId), record_skipped) ==
        -kEIO);
  CHECK(fs::root() == nullptr);
}

// Hard links at /vfs: the service's names of one node, one inode in the shim for all of them.
TEST_CASE("a service at /vfs: hard links share the node and its inode; nlink counts them") {
  Served s;
  Fixture& f = s.f;
  const Service::Client client(s.channel);
  auto service_links = [&](const char* path) {
    Service::OpenRequest req;
    req.path.set(path);
    Service::OpenResponse resp;
    return client.open(req, resp) == rpc::Status::kOk ? static_cast<int64_t>(resp.info.links) : -1;
  };
  auto service_nodes = [&] {
    Service::UsageResponse usage;
    REQUIRE(client.usage(Service::UsageRequest{}, usage) == rpc::Status::kOk);
    return usage.usage.nodes;
  };
  REQUIRE(sys_mkdir(f.task, f.str("/vfs/d"), 0755) == 0);
  const int64_t w = f.open("/vfs/a", kOCreat | kOWronly, 0640);
  REQUIRE(w >= 0);
  REQUIRE(f.write(static_cast<int32_t>(w), "one") == 3);
  REQUIRE(sys_close(f.task, static_cast<int32_t>(w)) == 0);
  CHECK(f.stat("/vfs/a").nlink == 1);
  REQUIRE(sys_link(f.task, f.str("/vfs/a"), f.str("/vfs/d/b")) == 0);
  CHECK(service_links("/a") == 2);
  CHECK(service_links("/d/b") == 2);
  const Stat a = f.stat("/vfs/a");
  const Stat b = f.stat("/vfs/d/b");
  CHECK(a.ino == b.ino);
  CHECK(a.nlink == 2);
  CHECK(b.nlink == 2);
  CHECK(b.mode == (kSIfreg | 0640));  // one inode: the attributes the shim keeps are shared
  CHECK(f.list("/vfs/d") == std::vector<std::string>{".", "..", "b"});
  // Written through one name, read through the other.
  const int64_t append = f.open("/vfs/d/b", kOWronly | kOAppend);
  REQUIRE(append >= 0);
  REQUIRE(f.write(static_cast<int32_t>(append), "+two") == 4);
  REQUIRE(sys_close(f.task, static_cast<int32_t>(append)) == 0);
  CHECK(f.read_file("/vfs/a") == "one+two");
  CHECK(f.stat("/vfs/a").size == 7);
  // Renaming one name onto the other (two names of one file): nothing happens.
  CHECK(sys_rename(f.task, f.str("/vfs/a"), f.str("/vfs/d/b")) == 0);
  CHECK(f.stat("/vfs/a").nlink == 2);
  CHECK(service_links("/a") == 2);
  // A name linked again from the new one, and through an fd (linkat with AT_EMPTY_PATH): the
  // service takes the node by id, so a name the shim never resolved will do.
  const int64_t held = f.open("/vfs/a", kORdonly);
  REQUIRE(held >= 0);
  const auto h = static_cast<int32_t>(held);
  CHECK(sys_linkat(f.task, h, f.str(""), kAtFdcwd, f.str("/vfs/c"), kAtEmptyPath) == 0);
  CHECK(f.stat("/vfs/c").nlink == 3);
  CHECK(sys_unlink(f.task, f.str("/vfs/c")) == 0);
  CHECK(f.stat("/vfs/a").nlink == 2);
  CHECK(service_nodes() == 3);  // the root, d and the file
  // Unlinking one name of an open file: the node stays under its other name, nothing hidden.
  REQUIRE(sys_unlink(f.task, f.str("/vfs/a")) == 0);
  CHECK(f.stat_error("/vfs/a") == -kENOENT);
  CHECK(f.stat("/vfs/d/b").nlink == 1);
  CHECK(f.stat("/vfs/d/b").ino == a.ino);
  CHECK(f.stat("/vfs/d/b").mode == (kSIfreg | 0640));  // still the shim's one inode
  REQUIRE(sys_fstat(f.task, h, f.buffer()) == 0);
  CHECK(f.get<Stat>(f.buffer()).nlink == 1);
  CHECK(service_links("/d/b") == 1);
  CHECK(f.list("/vfs") == std::vector<std::string>{".", "..", "d"});
  CHECK(service_nodes() == 3);  // no hidden name
  CHECK(f.read(h) == "one+two");
  CHECK(f.read_file("/vfs/d/b") == "one+two");
  // Then the other, the last: now the open file is hidden, and goes with its last reference.
  REQUIRE(sys_unlink(f.task, f.str("/vfs/d/b")) == 0);
  REQUIRE(sys_fstat(f.task, h, f.buffer()) == 0);
  CHECK(f.get<Stat>(f.buffer()).nlink == 0);
  CHECK(f.list("/vfs/d") == std::vector<std::string>{".", ".."});
  CHECK(f.list("/vfs") == std::vector<std::string>{".", "..", "d"});
  CHECK(service_nodes() == 3);  // the hidden file
  CHECK(sys_pread64(f.task, h, f.buffer(), 7, 0) == 7);
  CHECK(f.bytes(f.buffer(), 7) == "one+two");
  // A file with no name left is not linked again (Linux: ENOENT).
  CHECK(sys_linkat(f.task, h, f.str(""), kAtFdcwd, f.str("/vfs/back"), kAtEmptyPath) == -kENOENT);
  CHECK(sys_close(f.task, h) == 0);
  CHECK(service_nodes() == 2);
  CHECK(svc::test::live_extents() == 0);
  CHECK(sys_rmdir(f.task, f.str("/vfs/d")) == 0);
}

TEST_CASE("a service at /vfs: a rename over one of a file's names keeps the file") {
  Served s;
  Fixture& f = s.f;
  const Service::Client client(s.channel);
  for (const char* name : {"/vfs/p", "/vfs/q"}) {
    const int64_t w = f.open(name, kOCreat | kOWronly);
    REQUIRE(w >= 0);
    REQUIRE(f.write(static_cast<int32_t>(w), name) == static_cast<int64_t>(std::strlen(name)));
    REQUIRE(sys_close(f.task, static_cast<int32_t>(w)) == 0);
  }
  REQUIRE(sys_link(f.task, f.str("/vfs/p"), f.str("/vfs/p2")) == 0);
  REQUIRE(sys_chmod(f.task, f.str("/vfs/p"), 0600) == 0);
  const uint64_t p = f.stat("/vfs/p").ino;
  // Held open too: with another name left, the target is not moved aside.
  const int64_t held = f.open("/vfs/p", kORdonly);
  REQUIRE(held >= 0);
  REQUIRE(sys_rename(f.task, f.str("/vfs/q"), f.str("/vfs/p")) == 0);
  CHECK(f.read_file("/vfs/p") == "/vfs/q");
  CHECK(f.read_file("/vfs/p2") == "/vfs/p");
  CHECK(f.stat("/vfs/p2").ino == p);
  CHECK(f.stat("/vfs/p2").nlink == 1);
  CHECK(f.stat("/vfs/p2").mode == (kSIfreg | 0600));  // still the shim's one inode
  CHECK(f.read(static_cast<int32_t>(held)) == "/vfs/p");
  CHECK(f.list("/vfs").size() == 4);  // ".", "..", p, p2: nothing hidden
  Service::UsageResponse usage;
  REQUIRE(client.usage(Service::UsageRequest{}, usage) == rpc::Status::kOk);
  CHECK(usage.usage.nodes == 3);
  CHECK(usage.usage.names == 2);  // p and p2: no hidden name
  CHECK(sys_close(f.task, static_cast<int32_t>(held)) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/p2")) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/p")) == 0);
  REQUIRE(client.usage(Service::UsageRequest{}, usage) == rpc::Status::kOk);
  CHECK(usage.usage.nodes == 1);
  CHECK(svc::test::live_extents() == 0);
}

TEST_CASE("a service at /vfs: links of symbolic links, and a node's count found in the service") {
  Served s;
  Fixture& f = s.f;
  const Service::Client client(s.channel);
  REQUIRE(sys_symlink(f.task, f.str("nowhere"), f.str("/vfs/l")) == 0);
  REQUIRE(sys_link(f.task, f.str("/vfs/l"), f.str("/vfs/l2")) == 0);  // the link, not followed
  CHECK(f.stat("/vfs/l2", false).mode == (kSIflnk | 0777));
  CHECK(f.stat("/vfs/l2", false).nlink == 2);
  CHECK(f.stat("/vfs/l2", false).ino == f.stat("/vfs/l", false).ino);
  CHECK(f.readlink("/vfs/l2") == "nowhere");
  REQUIRE(sys_unlink(f.task, f.str("/vfs/l")) == 0);
  CHECK(f.stat("/vfs/l2", false).nlink == 1);
  CHECK(f.readlink("/vfs/l2") == "nowhere");
  REQUIRE(sys_unlink(f.task, f.str("/vfs/l2")) == 0);
  // Names the shim did not make: the first lookup takes the service's count.
  Service::CreateRequest create;
  create.path.set("/x");
  create.kind = svc::fs::NodeKind::kFile;
  Service::CreateResponse created;
  REQUIRE(client.create(create, created) == rpc::Status::kOk);
  Service::LinkRequest link;
  link.node = created.node;
  link.to.set("/y");
  Service::LinkResponse linked;
  REQUIRE(client.link(link, linked) == rpc::Status::kOk);
  CHECK(f.stat("/vfs/y").nlink == 2);
  CHECK(f.stat("/vfs/x").ino == f.stat("/vfs/y").ino);
  REQUIRE(sys_unlink(f.task, f.str("/vfs/x")) == 0);
  CHECK(f.stat("/vfs/y").nlink == 1);
  REQUIRE(sys_unlink(f.task, f.str("/vfs/y")) == 0);
  CHECK(f.list("/vfs") == std::vector<std::string>{".", ".."});
}

TEST_CASE("a service at /vfs: full is ENOSPC; a service that does not answer is not mounted") {
  {
    Served s;
    Fixture& f = s.f;
    int64_t e = 0;
    constexpr uint32_t kNodes = svc::ramfs::RamfsService::kMaxNodes;  // the root one of them
    for (uint32_t i = 0; i < kNodes + 10 && e >= 0; ++i) {
      e = sys_mkdir(f.task, f.str("/vfs/n" + std::to_string(i)), 0755);
    }
    CHECK(e == -kENOSPC);
    CHECK(f.list("/vfs").size() == 2 + kNodes - 1);
  }
  Fixture f;
  CHECK(fs::mount_service("vfs", rpc::Channel()) == -kEINVAL);
  svc::test::reset();
  CHECK(fs::mount_service("vfs", rpc::Channel::ipc(77, Service::kInterfaceId)) == -kEIO);
  CHECK(f.stat_error("/vfs") == -kENOENT);
}

// ---- the root on vfs: random names, times kept equal, removed directories, far times ----

// A path in the process's memory at a fixed slot (no bump allocation: for long random runs).
uint64_t put(Fixture& f, const std::string& path, int slot) {
  const uint64_t at = f.buffer(16384 + 1024 * slot);
  REQUIRE(f.process.mm.copy_out(at, path.c_str(), path.size() + 1));
  return at;
}

// The node id the service has at `path`, or 0.
uint64_t service_node(const rpc::Channel& channel, const std::string& path) {
  Service::OpenRequest req;
  req.path.set(path.c_str());
  Service::OpenResponse resp;
  return Service::Client(channel).open(req, resp) == rpc::Status::kOk ? resp.info.node : 0;
}

TEST_CASE("a root on vfs: random names, links, renames, unlinks of open files: the cache agrees") {
  ServedRoot s;
  Fixture& f = s.f;
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/a"), 0755) == 0);
  REQUIRE(sys_mkdir(f.task, f.str("/tmp/b"), 0755) == 0);
  std::vector<std::string> dirs = {"/tmp/a", "/tmp/b", "/tmp"};
  for (const std::string top : {"/tmp/a", "/tmp/b", "/tmp"}) {
    dirs.push_back(top + "/d0");
    dirs.push_back(top + "/d1");
  }
  const std::vector<std::string> names = {"n0", "n1", "n2", "n3", "d0", "d1"};
  std::vector<int32_t> open_fds;
  uint64_t seed = 777;
  auto rnd = [&]() {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  auto any_path = [&]() { return dirs[rnd() % dirs.size()] + "/" + names[rnd() % names.size()]; };
  for (int round = 0; round < 1500; ++round) {
    if (round % 500 == 0) (void)sys_chdir(f.task, put(f, any_path(), 3));
    const std::string p = any_path();
    const std::string q = any_path();
    switch (rnd() % 9) {
      case 0: {
        const int64_t fd = sys_open(f.task, put(f, p, 0), kOCreat | kORdwr, 0644);
        if (fd >= 0) {
          if (open_fds.size() < 20 && rnd() % 2 == 0)
            open_fds.push_back(static_cast<int32_t>(fd));
          else
            (void)sys_close(f.task, static_cast<int32_t>(fd));
        }
        break;
      }
      case 1:
        (void)sys_link(f.task, put(f, p, 0), put(f, q, 1));
        break;
      case 2:
        (void)sys_unlink(f.task, put(f, p, 0));
        break;
      case 3:
        (void)sys_rename(f.task, put(f, p, 0), put(f, q, 1));
        break;
      case 4:
        (void)sys_mkdir(f.task, put(f, p, 0), 0755);
        break;
      case 5:
        (void)sys_rmdir(f.task, put(f, p, 0));
        break;
      case 6:
        if (!open_fds.empty()) {
          const size_t i = rnd() % open_fds.size();
          (void)sys_close(f.task, open_fds[i]);
          open_fds.erase(open_fds.begin() + static_cast<long>(i));
        }
        break;
      case 7:
        (void)sys_symlink(f.task, put(f, "target", 0), put(f, p, 1));
        break;
      default:
        (void)sys_rename(f.task, put(f, p + "/" + names[rnd() % names.size()], 0), put(f, q, 1));
        break;
    }
    // Every name as the shim finds it is the service's node there.
    for (const std::string& d : dirs) {
      for (const std::string& n : names) {
        const std::string path = d + "/" + n;
        const int64_t e = sys_lstat(f.task, put(f, path, 2), f.buffer());
        const uint64_t node = service_node(s.channel, path);
        INFO("round " << round << " " << path);
        if (e != 0) {
          REQUIRE(node == 0);
        } else {
          REQUIRE(f.get<Stat>(f.buffer()).ino == node);
        }
      }
    }
  }
  for (int32_t fd : open_fds)
    (void)sys_close(f.task, fd);
}

TEST_CASE(
    "a root on vfs: unlinking an open file in /tmp leaves the root's times alone, both sides") {
  ServedRoot s;
  Fixture& f = s.f;
  const int64_t fd = f.open("/tmp/x", kOCreat | kORdwr, 0644);
  REQUIRE(fd >= 0);
  CHECK(service_attributes(s.channel, "/") == shim_attributes(f, "/"));
  REQUIRE(sys_unlink(f.task, f.str("/tmp/x")) == 0);
  CHECK(service_attributes(s.channel, "/tmp") == shim_attributes(f, "/tmp"));
  CHECK(service_attributes(s.channel, "/") == shim_attributes(f, "/"));  // hide touched "/"
  REQUIRE(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
  CHECK(service_attributes(s.channel, "/") == shim_attributes(f, "/"));
}

TEST_CASE("a service at /vfs: a mapped file's write-back leaves the service's times the shim's") {
  Served s;
  Fixture& f = s.f;
  const int64_t fd = f.open("/vfs/m", kOCreat | kORdwr);
  REQUIRE(fd >= 0);
  const auto d = static_cast<int32_t>(fd);
  REQUIRE(f.write(d, "mapped bytes") == 12);
  const int64_t m = sys_mmap(f.task, 0, kPageSize, kProtRead | kProtWrite, kMapShared, d, 0);
  REQUIRE(m > 0);
  REQUIRE(sys_fchmod(f.task, d, 0600) == 0);  // ctime moves past mtime
  CHECK(service_attributes(s.channel, "/m") == shim_attributes(f, "/vfs/m"));
  REQUIRE(f.process.mm.copy_out(static_cast<uint64_t>(m), "M", 1));
  REQUIRE(sys_msync(f.task, static_cast<uint64_t>(m), kPageSize, 4) == 0);
  CHECK(service_attributes(s.channel, "/m") == shim_attributes(f, "/vfs/m"));
  CHECK(sys_munmap(f.task, static_cast<uint64_t>(m), kPageSize) == 0);
  CHECK(sys_close(f.task, d) == 0);
  CHECK(sys_unlink(f.task, f.str("/vfs/m")) == 0);
}

TEST_CASE(
    "a service at /vfs: fchmod and futimens of a directory removed while open work, as on Linux") {
  Served s;
  Fixture& f = s.f;
  REQUIRE(sys_mkdir(f.task, f.str("/vfs/d"), 0755) == 0);
  const int64_t fd = f.open("/vfs/d", kODirectory | kORdonly);
  REQUIRE(fd >= 0);
  REQUIRE(sys_rmdir(f.task, f.str("/vfs/d")) == 0);
  CHECK(sys_fchmod(f.task, static_cast<int32_t>(fd), 0700) == 0);        // Linux: 0
  CHECK(sys_utimensat(f.task, static_cast<int32_t>(fd), 0, 0, 0) == 0);  // Linux: 0
  CHECK(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
}

TEST_CASE("a service at /vfs: utimensat past 2262 is clamped, the same on both sides") {
  Served s;
  Fixture& f = s.f;
  const int64_t fd = f.open("/vfs/t", kOCreat | kORdwr);
  REQUIRE(fd >= 0);
  const Timespec times[2] = {{10'000'000'000, 0}, {10'000'000'000, 0}};  // year 2286
  REQUIRE(f.process.mm.copy_out(f.buffer(1024), times, sizeof(times)));
  CHECK(sys_utimensat(f.task, static_cast<int32_t>(fd), 0, f.buffer(1024), 0) == 0);
  CHECK(service_attributes(s.channel, "/t") == shim_attributes(f, "/vfs/t"));
  CHECK(sys_close(f.task, static_cast<int32_t>(fd)) == 0);
}

}  // namespace

// The handlers' services: the fixture's process for /proc.
const ShimServices& shim_services() {
  static const ShimServices services = host_test_services_seeing_test_process();
  return services;
}

}  // namespace hmk::lx
