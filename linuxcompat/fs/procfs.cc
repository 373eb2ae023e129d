// A minimal /proc: /proc/self (a link to the caller's pid), /proc/PID/{exe,cwd,fd/N,stat,
// status,cmdline,comm}, /proc/meminfo and /proc/mounts. Its inodes are made when they are looked
// up, from the processes the shim has (ShimServices::process_from), and read-only: creating or
// removing names there is -EACCES or -EPERM, as in Linux.
#include "core/lib/format.h"
#include "core/lib/util.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/open_file.h"
#include "linuxcompat/fs/path.h"
#include "linuxcompat/memory_figures.h"

namespace hmk::lx::fs {
namespace {

// Stable inode numbers for generated inodes: /proc/self, then per process and per fd.
constexpr uint64_t kSelfIno = 0x100;
uint64_t pid_ino(int32_t pid, uint32_t what) {
  // 0 dir, 1 cwd, 2 exe, 3 fd, 4 stat, 5 status, 6 cmdline, 7 comm
  return 0x1'0000 + static_cast<uint64_t>(pid) * 16 + what;
}
uint64_t fd_ino(int32_t pid, int32_t fd) {
  return 0x1000'0000 + static_cast<uint64_t>(pid) * FdTable::kMaxFds + static_cast<uint64_t>(fd);
}

Process* find_process(int32_t pid) {
  Process* (*lookup)(int32_t) = shim_services().process_from;
  Process* p = lookup != nullptr && pid > 0 ? lookup(pid) : nullptr;
  return p != nullptr && p->pid == pid ? p : nullptr;
}

// A decimal number without sign or leading zeros, below 2^31.
bool parse_number(StringView name, int32_t* out) {
  if (name.empty() || name.size() > 10 || (name[0] == '0' && name.size() > 1)) return false;
  int64_t n = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > INT32_MAX) return false;
  *out = static_cast<int32_t>(n);
  return true;
}

StringView number_name(int64_t n, DirEntry* e) {
  const size_t length = snformat(e->storage, sizeof(e->storage), "%ld", n);
  return StringView(e->storage, length);
}

// A link whose text is made when it is looked up; `jump` makes it a magic link (/proc/PID/fd/N
// and cwd reach the inode itself).
class ProcLink final : public SymlinkInode {
 public:
  // nullptr for an empty text, or when out of memory.
  static ProcLink* create(Superblock& sb, StringView text, Inode* jump, uint64_t ino) {
    if (text.empty() || text.size() >= kPathMax) return nullptr;
    auto* copy = new (kFallible) char[text.size()];
    if (copy == nullptr) return nullptr;
    mem_copy(copy, text.data(), text.size());
    auto* link = new (kFallible) ProcLink(sb, copy, text.size(), jump, ino);
    if (link == nullptr) delete[] copy;
    return link;
  }
  Inode* jump() const override { return jump_.get(); }

 private:
  ProcLink(Superblock& sb, char* text, size_t length, Inode* jump, uint64_t ino)
      : SymlinkInode(sb, text, length, ino), jump_(jump) {}
  InodeRef jump_;
};

// What /proc/PID/fd/N leads to for a File without an inode (a serial port, a pipe): an inode
// that stands for the File, with its status; opening it gives the File itself (another fd on
// the same open file description, as reopening a terminal gives the same terminal).
class FileInode final : public Inode {
 public:
  FileInode(Superblock& sb, File* file) : Inode(sb, mode_of(*file)), file_(file) {
    file_->acquire();
  }
  ~FileInode() override { file_->release(); }
  int64_t open(Process&, uint32_t, StringView, File** out) override {
    file_->acquire();
    *out = file_;
    return 0;
  }

 private:
  static uint32_t mode_of(const File& file) {
    Stat st;
    file.stat(&st);
    return st.mode;
  }
  File* file_;
};

Superblock g_anon = {"anon_inodefs", make_device(0, 13), false};

int64_t give_link(Superblock& sb, StringView text, Inode* jump, uint64_t ino, InodeRef* out) {
  if (text.empty() || text.size() >= kPathMax) return -kENOENT;
  ProcLink* link = ProcLink::create(sb, text, jump, ino);
  if (link == nullptr) return -kENOMEM;
  *out = InodeRef::adopt(link);
  return 0;
}

// ---- text files: generated at open, read from that snapshot ----

using Generator = size_t (*)(char* out, size_t capacity);

size_t meminfo_text(char* out, size_t capacity) {
  // Fixed figures, sysinfo's (memory_figures.h); the lines Linux has, in its layout (the name
  // padded to 16 columns, the number to 8).
  const MemoryFigures m = memory_figures();
  const uint64_t total_kb = m.total_bytes / 1024;
  const uint64_t free_kb = m.free_bytes / 1024;
  return snformat(out, capacity,
                  "MemTotal:       %8lu kB\nMemFree:        %8lu kB\n"
                  "MemAvailable:   %8lu kB\nBuffers:               0 kB\n"
                  "Cached:                 0 kB\nSwapCached:            0 kB\n"
                  "SwapTotal:              0 kB\nSwapFree:               0 kB\n"
                  "Shmem:                  0 kB\n",
                  total_kb, free_kb, free_kb);
}

size_t mounts_text(char* out, size_t capacity) {
  const size_t n = snformat(
      out, capacity, "%s / %s rw 0 0\ndevtmpfs /dev devtmpfs rw 0 0\nproc /proc proc rw 0 0\n",
      root_served() ? "vfs" : "tmpfs", root_served() ? "hmk.vfs" : "tmpfs");
  const StringView served = service_mount_point();
  if (served.empty()) return n;
  char* rest = out != nullptr && n < capacity ? out + n : nullptr;  // measuring: none
  return n + snformat(rest, rest != nullptr ? capacity - n : 0, "vfs /%.*s hmk.vfs rw 0 0\n",
                      static_cast<int>(served.size()), served.data());
}

class ProcTextFile final : public InodeFile {
 public:
  ProcTextFile(Inode* inode, uint32_t flags, StringView path, char* text, size_t length)
      : InodeFile(inode, flags, path), text_(text), length_(length) {}
  ~ProcTextFile() override { delete[] text_; }
  int64_t read(uint8_t* buffer, uint64_t length) override {
    const int64_t n = pread(buffer, length, offset_);
    offset_ += static_cast<uint64_t>(n);
    return n;
  }
  int64_t write(const uint8_t*, uint64_t) override { return -kEBADF; }
  int64_t pread(uint8_t* buffer, uint64_t length, uint64_t offset) override {
    if (offset >= length_) return 0;
    const uint64_t n = min(length, length_ - offset);
    mem_copy(buffer, text_ + offset, n);
    return static_cast<int64_t>(n);
  }
  int64_t seek(int64_t offset, uint32_t whence) override {
    int64_t base = 0;
    if (whence == kSeekCur) base = static_cast<int64_t>(offset_);
    if (whence == kSeekEnd) base = static_cast<int64_t>(length_);
    if (whence > kSeekEnd || offset < -base) return -kEINVAL;
    offset_ = static_cast<uint64_t>(base + offset);
    return base + offset;
  }

 private:
  char* text_;
  size_t length_;
  uint64_t offset_ = 0;
};

// The file of a generated `text` (which it takes over, freeing it if the file cannot be made)
// into *out: 0 or -ENOMEM.
int64_t give_text(Inode* inode, uint32_t flags, StringView path, char* text, size_t length,
                  File** out) {
  auto* file = new (kFallible) ProcTextFile(inode, flags, path, text, length);
  if (file == nullptr) {
    delete[] text;
    return -kENOMEM;
  }
  if (!file->made()) {
    file->release();  // and the text with it
    return -kENOMEM;
  }
  *out = file;
  return 0;
}

class ProcText final : public Inode {
 public:
  ProcText(Superblock& sb, Generator generate) : Inode(sb, kSIfreg | 0444), generate_(generate) {}
  int64_t open(Process&, uint32_t flags, StringView path, File** out) override {
    if ((flags & kOAccmode) != kORdonly) return -kEACCES;
    const size_t length = generate_(nullptr, 0);
    auto* text = new (kFallible) char[length + 1];
    if (text == nullptr) return -kENOMEM;
    generate_(text, length + 1);
    return give_text(this, flags, path, text, length, out);
  }

 private:
  Generator generate_;
};

// ---- /proc/PID/stat, status, cmdline, comm: generated at open from the process ----

// The command name: the last component of the executable's path, at most 15 bytes (what a
// task starts with; prctl(PR_SET_NAME) renames tasks, which this does not follow).
size_t comm_of(const Process& p, char* out, size_t capacity) {
  const char* base = p.exe;
  for (const char* c = p.exe; *c != 0; ++c)
    if (*c == '/') base = c + 1;
  const size_t length = min<size_t>(StringView(base).size(), 15);
  return snformat(out, capacity, "%.*s", static_cast<int>(length), base);
}

uint64_t mapped_bytes(const Process& p) {
  uint64_t pages = 0;
  for (uint32_t i = 0; i < p.mm.region_count(); ++i)
    pages += p.mm.region(i).pages;
  return pages * kPageSize;
}

// The reader sees itself running; everybody else waits in a call or runs between calls,
// which /proc shows as sleeping.
char state_of(const Process& p, const Process& reader) {
  return &p == &reader ? 'R' : 'S';
}

// Linux's 52 fields (fs/proc/array.c do_task_stat): what the shim knows, 0 for the rest
// (fault and time counts, resident pages, code and data bounds, signal sets).
size_t stat_text(const Process& p, const Process& reader, char* out, size_t capacity) {
  char comm[16];
  comm_of(p, comm, sizeof(comm));
  constexpr uint64_t kNsPerTick = 10'000'000;  // AT_CLKTCK is 100
  return snformat(out, capacity,
                  "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 %u 0 %lu %lu 0 "
                  "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 %lu 0 0 0 0 "
                  "0\n",
                  p.pid, comm, state_of(p, reader), p.ppid, p.pgid, p.sid, p.task_count,
                  p.start_ns / kNsPerTick, mapped_bytes(p), p.brk_base);
}

size_t status_text(const Process& p, const Process& reader, char* out, size_t capacity) {
  char comm[16];
  comm_of(p, comm, sizeof(comm));
  const char state = state_of(p, reader);
  return snformat(out, capacity,
                  "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\n"
                  "Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\n"
                  "Gid:\t0\t0\t0\t0\nFDSize:\t%d\nGroups:\t\nVmSize:\t%8lu kB\n"
                  "Threads:\t%u\n",
                  comm, p.umask, state, state == 'R' ? "running" : "sleeping", p.pid, p.pid, p.ppid,
                  FdTable::kMaxFds, mapped_bytes(p) / 1024, p.task_count);
}

size_t cmdline_text(const Process& p, const Process&, char* out, size_t capacity) {
  if (out != nullptr) mem_copy(out, p.cmdline, min<size_t>(p.cmdline_length, capacity));
  return p.cmdline_length;
}

size_t comm_text(const Process& p, const Process&, char* out, size_t capacity) {
  char comm[16];
  comm_of(p, comm, sizeof(comm));
  return snformat(out, capacity, "%s\n", comm);
}

using PidGenerator = size_t (*)(const Process& p, const Process& reader, char* out,
                                size_t capacity);

struct PidFile {
  const char* name;
  PidGenerator generate;
};
// After cwd, exe and fd (their ino numbers 1..3), in /proc/PID's listing order.
constexpr PidFile kPidFiles[] = {{"stat", &stat_text},
                                 {"status", &status_text},
                                 {"cmdline", &cmdline_text},
                                 {"comm", &comm_text}};

class ProcPidText final : public Inode {
 public:
  ProcPidText(Superblock& sb, int32_t pid, uint32_t index)
      : Inode(sb, kSIfreg | 0444, 0, pid_ino(pid, 4 + index)), pid_(pid), index_(index) {}
  int64_t open(Process& reader, uint32_t flags, StringView path, File** out) override {
    if ((flags & kOAccmode) != kORdonly) return -kEACCES;
    Process* p = find_process(pid_);
    if (p == nullptr) return -kESRCH;
    const PidGenerator generate = kPidFiles[index_].generate;
    const size_t length = generate(*p, reader, nullptr, 0);
    auto* text = new (kFallible) char[length + 1];
    if (text == nullptr) return -kENOMEM;
    generate(*p, reader, text, length + 1);
    return give_text(this, flags, path, text, length, out);
  }

 private:
  int32_t pid_;
  uint32_t index_;
};

// ---- /proc/PID/fd ----

class ProcFdDir final : public Directory {
 public:
  ProcFdDir(Superblock& sb, int32_t pid, Directory* parent)
      : Directory(sb, 0500, pid_ino(pid, 3)), pid_(pid), parent_ref_(parent) {
    attach(parent, "fd");
  }
  int64_t lookup(Process&, StringView name, InodeRef* out) override {
    Process* p = find_process(pid_);
    int32_t fd = 0;
    File* file = p != nullptr && parse_number(name, &fd) ? p->fds.get(fd) : nullptr;
    if (file == nullptr) return -kENOENT;
    char text[kPathMax];
    const size_t length = file->describe(text, sizeof(text));
    InodeRef target(file->inode());
    if (!target) target = InodeRef::adopt(new (kFallible) FileInode(g_anon, file));
    if (!target) return -kENOMEM;
    return give_link(superblock(), StringView(text, length), target.get(), fd_ino(pid_, fd), out);
  }
  bool next(uint64_t after, DirEntry* out) override {
    Process* p = find_process(pid_);
    const uint64_t from = after < kFirstCookie ? 0 : after - kFirstCookie + 1;
    const int32_t fd =
        p != nullptr && from < FdTable::kMaxFds ? p->fds.next_open(static_cast<int32_t>(from)) : -1;
    if (fd < 0) return false;
    out->cookie = kFirstCookie + static_cast<uint64_t>(fd);
    out->ino = fd_ino(pid_, fd);
    out->type = dirent_type(kSIflnk);
    out->name = number_name(fd, out);
    return true;
  }

 private:
  int32_t pid_;
  InodeRef parent_ref_;
};

// ---- /proc/PID ----

class ProcPidDir final : public Directory {
 public:
  ProcPidDir(Superblock& sb, int32_t pid, Directory* parent)
      : Directory(sb, 0555, pid_ino(pid, 0)), pid_(pid), parent_ref_(parent) {
    const size_t length = snformat(pid_name_, sizeof(pid_name_), "%d", pid);
    attach(parent, StringView(pid_name_, length));
  }
  int64_t lookup(Process&, StringView name, InodeRef* out) override {
    Process* p = find_process(pid_);
    if (p == nullptr) return -kENOENT;
    if (name == "exe") return give_link(superblock(), p->exe, nullptr, pid_ino(pid_, 2), out);
    if (name == "cwd") {
      const InodeRef cwd = working_directory_of(*p);
      char text[kPathMax];
      const InodeRef top = root_of(*p);
      const int64_t n =
          directory_path(top.get(), static_cast<Directory*>(cwd.get()), text, sizeof(text));
      if (n < 0) return -kENOENT;
      return give_link(superblock(), StringView(text, static_cast<size_t>(n)), cwd.get(),
                       pid_ino(pid_, 1), out);
    }
    if (name == "fd") {
      *out = InodeRef::adopt(new (kFallible) ProcFdDir(superblock(), pid_, this));
      return *out ? 0 : -kENOMEM;
    }
    for (uint32_t i = 0; i < array_size(kPidFiles); ++i) {
      if (name == kPidFiles[i].name) {
        *out = InodeRef::adopt(new (kFallible) ProcPidText(superblock(), pid_, i));
        return *out ? 0 : -kENOMEM;
      }
    }
    return -kENOENT;
  }
  bool next(uint64_t after, DirEntry* out) override {
    static constexpr const char* kNames[] = {"cwd", "exe", "fd"};
    constexpr uint64_t kCount = array_size(kNames) + array_size(kPidFiles);
    const uint64_t i = after < kFirstCookie ? 0 : after - kFirstCookie + 1;
    if (i >= kCount || find_process(pid_) == nullptr) return false;
    out->cookie = kFirstCookie + i;
    out->ino = pid_ino(pid_, static_cast<uint32_t>(i + 1));
    out->type = dirent_type(i == 2 ? kSIfdir : i < 2 ? kSIflnk : kSIfreg);
    out->name = i < array_size(kNames) ? kNames[i] : kPidFiles[i - array_size(kNames)].name;
    return true;
  }

 private:
  int32_t pid_;
  InodeRef parent_ref_;
  char pid_name_[16];  // its name in /proc, which attach() does not copy
};

// ---- /proc ----

class ProcRoot final : public Directory {
 public:
  // Takes over the references to its two files.
  ProcRoot(Superblock& sb, Inode* meminfo, Inode* mounts)
      : Directory(sb, 0555), meminfo_(InodeRef::adopt(meminfo)), mounts_(InodeRef::adopt(mounts)) {}

  int64_t lookup(Process& process, StringView name, InodeRef* out) override {
    int32_t pid = 0;
    if (name == "meminfo") *out = meminfo_;
    if (name == "mounts") *out = mounts_;
    if (*out) return 0;
    if (name == "self") {
      char text[16];
      const size_t length = snformat(text, sizeof(text), "%d", process.pid);
      return give_link(superblock(), StringView(text, length), nullptr, kSelfIno, out);
    }
    if (!parse_number(name, &pid) || find_process(pid) == nullptr) return -kENOENT;
    *out = InodeRef::adopt(new (kFallible) ProcPidDir(superblock(), pid, this));
    return *out ? 0 : -kENOMEM;
  }

  // meminfo, mounts, self (cookies 3, 4, 5), then the processes (kPids + pid).
  bool next(uint64_t after, DirEntry* out) override {
    static constexpr uint64_t kPids = 16;
    if (after < kFirstCookie + 2) {
      const uint64_t i = after < kFirstCookie ? 0 : after - kFirstCookie + 1;
      out->cookie = kFirstCookie + i;
      out->ino = i == 0 ? meminfo_->ino() : i == 1 ? mounts_->ino() : kSelfIno;
      out->type = dirent_type(i == 2 ? kSIflnk : kSIfreg);
      out->name = i == 0 ? "meminfo" : i == 1 ? "mounts" : "self";
      return true;
    }
    Process* (*lookup)(int32_t) = shim_services().process_from;
    const uint64_t from = after < kPids ? 1 : after - kPids + 1;
    Process* p =
        lookup != nullptr && from <= INT32_MAX ? lookup(static_cast<int32_t>(from)) : nullptr;
    if (p == nullptr) return false;
    out->cookie = kPids + static_cast<uint64_t>(p->pid);
    out->ino = pid_ino(p->pid, 0);
    out->type = dirent_type(kSIfdir);
    out->name = number_name(p->pid, out);
    return true;
  }

 private:
  InodeRef meminfo_;
  InodeRef mounts_;
};

}  // namespace

Directory* make_proc_root(Superblock& sb) {
  auto* meminfo = new (kFallible) ProcText(sb, &meminfo_text);
  auto* mounts = new (kFallible) ProcText(sb, &mounts_text);
  auto* root = meminfo != nullptr && mounts != nullptr ? new (kFallible)
                                                             ProcRoot(sb, meminfo, mounts)
                                                       : nullptr;
  if (root == nullptr) {
    if (meminfo != nullptr) meminfo->release();
    if (mounts != nullptr) mounts->release();
  }
  return root;
}

}  // namespace hmk::lx::fs
