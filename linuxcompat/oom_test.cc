// The shim out of memory, on the host: for each operation, every allocation it makes (the
// shim's `new (kFallible)` and the memory backend's new objects) fails in turn (arm_faults), and
// each time the operation must answer Linux's error and leave as many blocks allocated as it
// found (operator new and delete count them here), with no half-made state (no fd, no name, no
// region); then it must work again.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "linuxcompat/alloc.h"
#include "linuxcompat/exec.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"
#include "linuxcompat/test_services.h"
#include "svc/lib/test_env.h"
#include "svc/ramfs/ramfs_service.h"

// Every operator new and delete of this program counts the blocks in use (the shim's, the tests'
// memory backend's, the test's own), with or without the sanitizers.
namespace {
int64_t g_blocks = 0;
void* counted_new(size_t size) noexcept {
  void* block = std::malloc(size != 0 ? size : 1);
  if (block != nullptr) ++g_blocks;
  return block;
}
void* counted_new_or_abort(size_t size) {
  void* block = counted_new(size);
  if (block == nullptr) std::abort();
  return block;
}
void counted_delete(void* block) noexcept {
  if (block == nullptr) return;
  --g_blocks;
  std::free(block);
}
}  // namespace

void* operator new(size_t size) {
  return counted_new_or_abort(size);
}
void* operator new[](size_t size) {
  return counted_new_or_abort(size);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return counted_new(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return counted_new(size);
}
void operator delete(void* block) noexcept {
  counted_delete(block);
}
void operator delete[](void* block) noexcept {
  counted_delete(block);
}
void operator delete(void* block, size_t) noexcept {
  counted_delete(block);
}
void operator delete[](void* block, size_t) noexcept {
  counted_delete(block);
}

namespace hmk::lx {
namespace {

// The blocks allocated and not freed.
int64_t heap_in_use() {
  return g_blocks;
}

// Runs `op` with the n-th allocation failing, for n = 1, 2, ... until a run makes fewer than n
// allocations (it then succeeds). Every failing run must answer `error`, leave as many blocks
// allocated as there were and pass `check`; the successful one is undone with `undo` (given its
// result), and the operation and undo once more must then leave the blocks as they found them
// (nothing leaks on success either). Returns how many allocations the operation makes.
template <typename Op, typename Undo, typename Check>
uint64_t fail_each_allocation(int64_t error, Op op, Undo undo, Check check) {
  for (uint64_t n = 1; n <= 1000; ++n) {
    const int64_t before = heap_in_use();
    arm_faults(n);
    const int64_t result = op();
    const uint64_t made = faults_counted();
    arm_faults(0);
    const int64_t after = heap_in_use();
    if (made < n) {
      REQUIRE(result >= 0);
      undo(result);
      const int64_t again_before = heap_in_use();
      const int64_t again = op();
      REQUIRE(again >= 0);
      undo(again);
      REQUIRE(heap_in_use() == again_before);
      return made;
    }
    INFO("allocation " << n << " of the operation failed");
    REQUIRE(result == error);
    REQUIRE(after == before);
    check();
  }
  FAIL("the operation made more than 1000 allocations");
  return 0;
}

constexpr uint64_t kBase = 0x10'0000;
constexpr uint64_t kPages = 64;

HostBackend g_file_memory;

std::vector<uint8_t> small_initrd() {
  return Newc()
      .add(".", 040755)
      .add("etc", 040755)
      .add("etc/motd", 0100644, "hello, world\n")
      .finish();
}

// A process with 64 pages of memory at kBase, the file system of small_initrd() and the
// standard descriptors 0..2 on /dev/null.
struct Fixture {
  Fixture() : archive(small_initrd()) {
    auto cpio = CpioArchive::open(archive.data(), archive.size(), nullptr);
    REQUIRE(cpio.ok());
    REQUIRE(fs::init_from_initrd(*cpio) == 0);
    fs::set_memory_backend(&g_file_memory);
    REQUIRE(process.mm.map_anonymous(kBase, kPages, kProtRead | kProtWrite) == 0);
    process.limits[kRlimitNofile] = {FdTable::kMaxFds, FdTable::kMaxFds};
    std::strcpy(process.exe, "/bin/prog");
    for (int32_t fd = 0; fd < 3; ++fd)
      REQUIRE(sys_open(task, str("/dev/null"), kORdwr, 0) == fd);
    g_test_process = &process;
  }
  ~Fixture() {
    g_test_process = nullptr;
    process.fds.close_all();
    process.cwd.reset();
    fs::shutdown();
  }

  // A NUL-terminated string in the process's memory (made before the measured operation).
  uint64_t str(const std::string& s) {
    const uint64_t at = next_;
    REQUIRE(process.mm.copy_out(at, s.c_str(), s.size() + 1));
    next_ += (s.size() + 16) & ~uint64_t{7};
    REQUIRE(next_ < kBase + kPages * kPageSize);
    return at;
  }
  uint64_t buffer() const { return kBase; }
  int64_t stat(uint64_t path) { return sys_stat(task, path, buffer()); }
  int64_t close(int64_t fd) { return sys_close(task, static_cast<int32_t>(fd)); }

  std::vector<uint8_t> archive;
  HostBackend backend;
  Process process{1, 0, 0, backend};
  Task task{process, 1, 0};

 private:
  uint64_t next_ = kBase + kPages * kPageSize / 2;
};

void nothing() {}

TEST_CASE("pipe2 out of memory: ENOMEM, no fd, no pipe left") {
  Fixture f;
  const uint64_t made = fail_each_allocation(
      -kENOMEM, [&] { return sys_pipe2(f.task, f.buffer(), 0); },
      [&](int64_t) {
        int32_t fds[2];
        REQUIRE(f.process.mm.copy_in(fds, f.buffer(), sizeof(fds)));
        REQUIRE(fds[0] == 3);
        REQUIRE(fds[1] == 4);
        REQUIRE(f.close(fds[0]) == 0);
        REQUIRE(f.close(fds[1]) == 0);
      },
      [&] { REQUIRE(f.process.fds.next_open(3) == -1); });
  CHECK(made == 4);  // the pipe, its buffer, the two ends
}

TEST_CASE("open(O_CREAT) out of memory: ENOMEM and no file made; mkdir in a full directory") {
  Fixture f;
  const uint64_t path = f.str("/tmp/new");
  auto no_fd = [&] { REQUIRE(f.process.fds.next_open(3) == -1); };
  // /tmp gets its array of entries (room for 8) first: a name that fails after the array was
  // made would keep it, room for later names.
  const int64_t first = sys_open(f.task, f.str("/tmp/first"), kOCreat, 0644);
  REQUIRE(first >= 0);
  REQUIRE(f.close(first) == 0);
  // The inode, the name, the File and its path: a File that cannot be made takes the name away.
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_open(f.task, path, kOCreat | kORdwr, 0644); },
            [&](int64_t fd) {
              REQUIRE(f.close(fd) == 0);
              REQUIRE(sys_unlink(f.task, path) == 0);
            },
            [&] {
              REQUIRE(f.stat(path) == -kENOENT);
              no_fd();
            }) == 4);
  // /tmp full (8 names): the ninth grows its array, after the new name's copy.
  for (int i = 1; i < 8; ++i) {
    const int64_t fd = sys_open(f.task, f.str("/tmp/f" + std::to_string(i)), kOCreat, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(f.close(fd) == 0);
  }
  const uint64_t dir = f.str("/tmp/dir");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_mkdir(f.task, dir, 0755); },
            [&](int64_t) { REQUIRE(sys_rmdir(f.task, dir) == 0); },
            [&] { REQUIRE(f.stat(dir) == -kENOENT); }) == 3);  // the directory, name, array
}

TEST_CASE("opening files, /dev, /proc out of memory: ENOMEM, nothing left") {
  Fixture f;
  for (const char* name : {"/etc/motd", "/etc", "/dev/null", "/dev/zero", "/dev/tty",
                           "/proc/self/stat", "/proc/1/cmdline", "/proc/meminfo"}) {
    INFO(name);
    const uint64_t path = f.str(name);
    const uint64_t made = fail_each_allocation(
        -kENOMEM, [&] { return sys_open(f.task, path, kORdonly, 0); },
        [&](int64_t fd) { REQUIRE(f.close(fd) == 0); },
        [&] { REQUIRE(f.process.fds.next_open(3) == -1); });
    CHECK(made >= 2);  // the File and its path at least
  }
  const uint64_t link = f.str("/proc/self/fd/1");
  const uint64_t made = fail_each_allocation(
      -kENOMEM, [&] { return sys_readlink(f.task, link, f.buffer(), 4096); }, [](int64_t) {},
      nothing);
  CHECK(made >= 3);  // /proc/self, /proc/1, the fd's link and its text
}

TEST_CASE("mkdir, symlink, link, rename out of memory: ENOMEM, the names as they were") {
  Fixture f;
  const uint64_t dir = f.str("/tmp/dir");
  // The directory, its name, and /tmp's first array of entries.
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_mkdir(f.task, dir, 0755); },
            [&](int64_t) { REQUIRE(sys_rmdir(f.task, dir) == 0); },
            [&] { REQUIRE(f.stat(dir) == -kENOENT); }) == 3);
  const uint64_t target = f.str("/etc/motd");
  const uint64_t link = f.str("/tmp/link");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_symlink(f.task, target, link); },
            [&](int64_t) { REQUIRE(sys_unlink(f.task, link) == 0); },
            [&] { REQUIRE(f.stat(link) == -kENOENT); }) == 3);  // its text, the inode, the name
  const uint64_t hard = f.str("/tmp/motd");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_link(f.task, target, hard); },
            [&](int64_t) { REQUIRE(sys_unlink(f.task, hard) == 0); },
            [&] { REQUIRE(f.stat(hard) == -kENOENT); }) == 1);  // the name
  // A rename into another directory takes the new name's memory before anything changes.
  REQUIRE(sys_mkdir(f.task, dir, 0755) == 0);
  const uint64_t from = f.str("/etc/motd");
  const uint64_t to = f.str("/tmp/dir/moved");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_rename(f.task, from, to); },
            [&](int64_t) { REQUIRE(sys_rename(f.task, to, from) == 0); },
            [&] {
              REQUIRE(f.stat(from) == 0);
              REQUIRE(f.stat(to) == -kENOENT);
            }) == 2);  // the name, and /tmp/dir's first array of entries
}

TEST_CASE("names at a service's mount out of memory: ENOMEM, the service's nodes as they were") {
  using Service = svc::fs::FileSystem;
  svc::test::reset();
  auto ramfs = std::make_unique<svc::ramfs::RamfsService>();
  svc::Env env;
  REQUIRE(ramfs->start(env) == rpc::Status::kOk);
  const rpc::Channel channel = svc::test::loopback(
      static_cast<Service::Server*>(ramfs.get()), &Service::dispatch_erased, Service::kInterfaceId);
  Fixture f;
  REQUIRE(fs::mount_service("vfs", channel) == 0);
  auto nodes = [&] {
    Service::UsageResponse usage;
    REQUIRE(Service::Client(channel).usage(Service::UsageRequest{}, usage) == rpc::Status::kOk);
    return usage.usage.nodes;
  };
  const uint32_t at_start = nodes();
  const uint64_t dir = f.str("/vfs/dir");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_mkdir(f.task, dir, 0755); },
            [&](int64_t) { REQUIRE(sys_rmdir(f.task, dir) == 0); },
            [&] {
              REQUIRE(f.stat(dir) == -kENOENT);
              REQUIRE(nodes() == at_start);  // the service's node went too
            }) == 2);                        // the name's copy, the inode
  const uint64_t file = f.str("/vfs/file");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_open(f.task, file, kOCreat | kOWronly, 0644); },
            [&](int64_t fd) {
              REQUIRE(f.close(fd) == 0);
              REQUIRE(sys_unlink(f.task, file) == 0);
            },
            [&] {
              REQUIRE(f.stat(file) == -kENOENT);
              REQUIRE(nodes() == at_start);
            }) == 3);  // the inode, the open file, its path
  const uint64_t link = f.str("/vfs/link");
  const uint64_t target = f.str("file");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_symlink(f.task, target, link); },
            [&](int64_t) { REQUIRE(sys_unlink(f.task, link) == 0); },
            [&] {
              REQUIRE(sys_lstat(f.task, link, f.buffer()) == -kENOENT);
              REQUIRE(nodes() == at_start);
            }) == 2);  // the target's copy, the inode
  REQUIRE(sys_mkdir(f.task, dir, 0755) == 0);
  const uint64_t moved = f.str("/vfs/moved");
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return sys_rename(f.task, dir, moved); },
            [&](int64_t) { REQUIRE(sys_rename(f.task, moved, dir) == 0); },
            [&] {
              REQUIRE(f.stat(dir) == 0);
              REQUIRE(f.stat(moved) == -kENOENT);
            }) == 1);  // the directory's new name
  REQUIRE(sys_rmdir(f.task, dir) == 0);
  // The first MAP_SHARED of a file there: its bytes move to memory of the shim's, which goes
  // again when the mapping fails.
  const int64_t fd = sys_open(f.task, file, kOCreat | kORdwr, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(f.process.mm.copy_out(f.buffer(), "shared", 6));
  REQUIRE(sys_write(f.task, static_cast<int32_t>(fd), f.buffer(), 6) == 6);
  const uint32_t regions = f.process.mm.region_count();
  CHECK(fail_each_allocation(
            -kENOMEM,
            [&] {
              return sys_mmap(f.task, 0, kPageSize, kProtRead | kProtWrite, kMapShared,
                              static_cast<int32_t>(fd), 0);
            },
            [&](int64_t at) {
              REQUIRE(sys_munmap(f.task, static_cast<uint64_t>(at), kPageSize) == 0);
            },
            [&] { REQUIRE(f.process.mm.region_count() == regions); }) ==
        3);  // inode, object, backing
  REQUIRE(f.close(fd) == 0);
  REQUIRE(sys_unlink(f.task, file) == 0);
  REQUIRE(nodes() == at_start);
}

TEST_CASE("a write that grows a file out of memory: ENOSPC (tmpfs's answer), the file as it was") {
  Fixture f;
  const int64_t fd = sys_open(f.task, f.str("/tmp/data"), kOCreat | kORdwr, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(f.process.mm.copy_out(f.buffer(), "0123456789", 10));
  CHECK(fail_each_allocation(
            -kENOSPC,
            [&] { return sys_pwrite64(f.task, static_cast<int32_t>(fd), f.buffer(), 10, 0); },
            [&](int64_t n) {
              REQUIRE(n == 10);
              REQUIRE(sys_ftruncate(f.task, static_cast<int32_t>(fd), 0) == 0);
            },
            [&] {
              REQUIRE(sys_fstat(f.task, static_cast<int32_t>(fd), f.buffer() + 0x1000) == 0);
              Stat st;
              REQUIRE(f.process.mm.copy_in(&st, f.buffer() + 0x1000, sizeof(st)));
              REQUIRE(st.size == 0);
            }) == 1);  // the file's buffer
  REQUIRE(f.close(fd) == 0);
}

TEST_CASE("mmap, mremap and mprotect out of memory: ENOMEM, the mappings as they were") {
  Fixture f;
  const uint32_t rw = kProtRead | kProtWrite;
  const uint32_t regions = f.process.mm.region_count();
  auto same_regions = [&] { REQUIRE(f.process.mm.region_count() == regions); };
  auto unmap = [&](uint64_t pages) {
    return [&f, pages](int64_t at) {
      REQUIRE(sys_munmap(f.task, static_cast<uint64_t>(at), pages * kPageSize) == 0);
    };
  };
  // Anonymous memory: a backing and its memory object.
  CHECK(fail_each_allocation(
            -kENOMEM,
            [&] {
              return sys_mmap(f.task, 0, 4 * kPageSize, rw, kMapPrivate | kMapAnonymous, -1, 0);
            },
            unmap(4), same_regions) == 2);
  CHECK(
      fail_each_allocation(
          -kENOMEM,
          [&] { return sys_mmap(f.task, 0, 4 * kPageSize, rw, kMapShared | kMapAnonymous, -1, 0); },
          unmap(4), same_regions) == 2);
  // A second MAP_SHARED mapping of a file already mapped: a backing.
  const int64_t fd = sys_open(f.task, f.str("/tmp/shared"), kOCreat | kORdwr, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(sys_ftruncate(f.task, static_cast<int32_t>(fd), 2 * kPageSize) == 0);
  const int64_t first =
      sys_mmap(f.task, 0, 2 * kPageSize, rw, kMapShared, static_cast<int32_t>(fd), 0);
  REQUIRE(first > 0);
  const uint32_t with_file = f.process.mm.region_count();
  CHECK(fail_each_allocation(
            -kENOMEM,
            [&] {
              return sys_mmap(f.task, 0, 2 * kPageSize, rw, kMapShared, static_cast<int32_t>(fd),
                              0);
            },
            unmap(2), [&] { REQUIRE(f.process.mm.region_count() == with_file); }) == 1);
  REQUIRE(sys_munmap(f.task, static_cast<uint64_t>(first), 2 * kPageSize) == 0);
  REQUIRE(f.close(fd) == 0);
  // mremap that must move (the next page is taken): the move's two arrays, the extra pages'
  // backing and object.
  const int64_t a = sys_mmap(f.task, 0, 2 * kPageSize, rw, kMapPrivate | kMapAnonymous, -1, 0);
  REQUIRE(a > 0);
  const auto at = static_cast<uint64_t>(a);
  REQUIRE(sys_mprotect(f.task, at + kPageSize, kPageSize, kProtRead) == 0);  // a second region
  REQUIRE(f.process.mm.copy_out(at, "kept", 5));
  const uint32_t before_move = f.process.mm.region_count();
  CHECK(fail_each_allocation(
            -kENOMEM,
            [&] { return sys_mremap(f.task, at, kPageSize, 3 * kPageSize, kMremapMaymove, 0); },
            [&](int64_t moved) {
              char text[5];
              REQUIRE(f.process.mm.copy_in(text, static_cast<uint64_t>(moved), 5));
              REQUIRE(std::string(text) == "kept");
              // Back where it was, for the operation's second run.
              REQUIRE(sys_munmap(f.task, static_cast<uint64_t>(moved) + kPageSize, 2 * kPageSize) ==
                      0);
              REQUIRE(sys_mremap(f.task, static_cast<uint64_t>(moved), kPageSize, kPageSize,
                                 kMremapMaymove | kMremapFixed, at) == static_cast<int64_t>(at));
            },
            [&] {
              REQUIRE(f.process.mm.region_count() == before_move);
              char text[5];
              REQUIRE(f.process.mm.copy_in(text, at, 5));
              REQUIRE(std::string(text) == "kept");
            }) == 4);
}

TEST_CASE("fork's copy of an address space out of memory: ENOMEM, the child left empty") {
  HostBackend backend;
  AddressSpace parent(backend);
  REQUIRE(parent.map_anonymous(0x10'0000, 4, kProtRead | kProtWrite) == 0);  // copied
  REQUIRE(parent.map_anonymous(0x20'0000, 2, kProtRead) == 0);               // shared
  REQUIRE(parent.map_anonymous(0x30'0000, 2, kProtRead | kProtWrite, /*shared=*/true) == 0);
  REQUIRE(parent.map_anonymous(0x40'0000, 8, kProtRead | kProtWrite) == 0);  // copied
  REQUIRE(parent.copy_out(0x10'0000, "parent", 7));
  AddressSpace child(backend);
  // The pairs' array, and for each private writable region a backing and its clone.
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return child.copy_from(parent); },
            [&](int64_t) {
              char text[7];
              REQUIRE(child.copy_in(text, 0x10'0000, 7));
              REQUIRE(std::string(text) == "parent");
              child.clear(true);
            },
            [&] { REQUIRE(child.region_count() == 0); }) == 5);
  // The child made writable a region it shares: its own copy first (mprotect).
  REQUIRE(child.copy_from(parent) == 0);
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return child.protect(0x20'0000, 2, kProtRead | kProtWrite); },
            [&](int64_t) { REQUIRE(child.protect(0x20'0000, 2, kProtRead) == 0); },
            [&] { REQUIRE(child.region_at(0x20'0000)->prot == kProtRead); }) == 2);
  child.clear(true);
  parent.clear(true);
}

TEST_CASE("execve's argument copy out of memory: ENOMEM, no stack left") {
  HostBackend backend;
  AddressSpace mm(backend);
  const char* argv[] = {"/bin/prog", "one", "two"};
  const char* envp[] = {"HOME=/", "PATH=/bin"};
  const StackInfo info = {"/bin/prog", {}, 0, 0, 0};
  const ExecImage image = {};
  uint64_t sp = 0;
  // The table of the strings' addresses, the stack's backing and memory object.
  CHECK(fail_each_allocation(
            -kENOMEM, [&] { return build_stack(mm, argv, 3, envp, 2, image, info, &sp); },
            [&](int64_t) { mm.clear(true); }, [&] { REQUIRE(mm.region_count() == 0); }) == 3);
}

void skipped_nothing(StringView, int64_t) {}

TEST_CASE("the root made on a service out of memory: ENOMEM, nothing leaked") {
  using Service = svc::fs::FileSystem;
  const std::vector<uint8_t> archive = Newc()
                                           .add(".", 040755)
                                           .add("bin/prog", 0100755,
                                                "\x7f"
                                                "ELF")
                                           .add("etc/motd", 0100644, "hello, world\n")
                                           .add("etc/link", 0120777, "motd")
                                           .add("tmp", 041777)
                                           .add("dev/pts", 040755)
                                           .finish();
  auto cpio = CpioArchive::open(archive.data(), archive.size(), nullptr);
  REQUIRE(cpio.ok());
  fs::shutdown();
  for (uint64_t n = 1; n <= 1000; ++n) {
    svc::test::reset();
    auto ramfs = std::make_unique<svc::ramfs::RamfsService>();
    svc::Env env;
    REQUIRE(ramfs->start(env) == rpc::Status::kOk);
    const rpc::Channel channel =
        svc::test::loopback(static_cast<Service::Server*>(ramfs.get()), &Service::dispatch_erased,
                            Service::kInterfaceId);
    const int64_t before = heap_in_use();
    arm_faults(n);
    const int64_t e = fs::init_on_service(*cpio, channel, skipped_nothing);
    const uint64_t made = faults_counted();
    arm_faults(0);
    const int64_t after = heap_in_use();
    INFO("allocation " << n << " failed: " << e);
    if (made < n) {
      REQUIRE(e == 0);
      fs::shutdown();
      ramfs->stop();
      break;
    }
    REQUIRE(e == -kENOMEM);
    REQUIRE(after == before);
    REQUIRE(fs::root() == nullptr);
    ramfs->stop();
  }
}

}  // namespace

// The handlers' services: the fixture's process for /proc.
const ShimServices& shim_services() {
  static const ShimServices services = host_test_services_seeing_test_process();
  return services;
}

}  // namespace hmk::lx
