// Open file descriptions' default operations (Linux's answers for a file without them) and the
// descriptor table.
#include "core/lib/format.h"
#include "core/lib/util.h"
#include "linuxcompat/task.h"

namespace hmk::lx {

int64_t File::pread(uint8_t*, uint64_t, uint64_t) {
  return -kESPIPE;
}

int64_t File::pwrite(const uint8_t*, uint64_t, uint64_t) {
  return -kESPIPE;
}

int64_t File::seek(int64_t, uint32_t) {
  return -kESPIPE;
}

int64_t File::getdents(uint8_t*, uint64_t) {
  return -kENOTDIR;
}

int64_t File::truncate(uint64_t) {
  return -kEINVAL;
}

int64_t File::sync() {
  return -kEINVAL;
}

int64_t File::ioctl(Task&, uint64_t, uint64_t) {
  return -kENOTTY;  // not a terminal (nor any device with ioctls)
}

WaitQueue* File::wait_queue(bool) {
  return nullptr;  // files that never wait
}

uint32_t File::poll_events() const {
  return (readable() ? kPollIn | kPollRdnorm : 0) | (writable() ? kPollOut | kPollWrnorm : 0);
}

int64_t vectored_io(Task& task, File& file, uint64_t iov, uint64_t iovcnt, IoDirection direction,
                    IoChunk chunk) {
  if (iovcnt > kIovMax) return -kEINVAL;
  uint64_t total = 0;
  for (uint64_t i = 0; i < iovcnt; ++i) {
    Iovec v;
    if (!task.process.mm.copy_in(&v, iov + i * sizeof(Iovec), sizeof(Iovec))) return -kEFAULT;
    if (v.len > static_cast<uint64_t>(INT64_MAX) - total) return -kEINVAL;
    // Linux's import_iovec: every buffer must lie in the user range (access_ok), even one a
    // file never reads (/dev/null).
    if (v.len > 0 && !access_ok(v.base, v.len)) return -kEFAULT;
    total += v.len;
  }
  int64_t done = 0;
  for (uint64_t i = 0; i < iovcnt; ++i) {
    Iovec v;
    if (!task.process.mm.copy_in(&v, iov + i * sizeof(Iovec), sizeof(Iovec))) {
      return done > 0 ? done : -kEFAULT;
    }
    if (v.len == 0) continue;
    const uint64_t want = min(v.len, kMaxRwCount - static_cast<uint64_t>(done));
    const int64_t r = chunk(task, file, v.base, want);
    if (r < 0) return done > 0 ? done : r;
    done += r;
    if (static_cast<uint64_t>(r) < v.len || static_cast<uint64_t>(done) >= kMaxRwCount) break;
    // A stream (a pipe) fills the next buffer only with what it has now: no second wait.
    if (direction == IoDirection::kRead && file.inode() == nullptr &&
        (file.poll_events() & kPollIn) == 0) {
      break;
    }
  }
  return done;
}

int64_t wait_for_file(Task& task, File& file, bool for_write) {
  WaitQueue* queue = file.wait_queue(for_write);
  if (queue == nullptr) return -kEIO;  // a file that said "wait" must say where
  return shim_services().block(task, *queue);
}

void File::stat(Stat* out) const {
  *out = {};
  out->mode = 0600;
  out->nlink = 1;
  out->blksize = 4096;
  // Anonymous inodes live on a file system of their own (0:13 on Linux).
  out->dev = make_device(0, 13);
  out->ino = reinterpret_cast<uintptr_t>(this) >> 4;
}

size_t File::describe(char* out, size_t capacity) const {
  const size_t n = snformat(out, capacity, "anon_inode:[file]");
  return min(n, capacity > 0 ? capacity - 1 : 0);
}

FdTable::~FdTable() {
  close_all();
}

void FdTable::close_all() {
  for (int32_t fd = 0; fd < kMaxFds; ++fd) {
    if (files_[fd] != nullptr) (void)close(fd);
  }
}

void FdTable::install(int32_t fd, File* file, CloseOnExec cloexec) {
  if (files_[fd] != nullptr) files_[fd]->release();
  files_[fd] = file;
  set_close_on_exec(fd, cloexec);
}

int64_t FdTable::allocate(File* file, int32_t lowest, uint64_t limit, CloseOnExec cloexec) {
  const int32_t end = static_cast<int32_t>(min<uint64_t>(limit, kMaxFds));
  for (int32_t fd = max(lowest, 0); fd < end; ++fd) {
    if (files_[fd] != nullptr) continue;
    install(fd, file, cloexec);
    return fd;
  }
  file->release();
  return -kEMFILE;
}

int32_t FdTable::lowest_free(uint64_t limit) const {
  const int32_t end = static_cast<int32_t>(min<uint64_t>(limit, kMaxFds));
  for (int32_t fd = 0; fd < end; ++fd) {
    if (files_[fd] == nullptr) return fd;
  }
  return -1;
}

int64_t FdTable::close(int32_t fd) {
  File* file = get(fd);
  if (file == nullptr) return -kEBADF;
  files_[fd] = nullptr;
  set_close_on_exec(fd, CloseOnExec::kNo);
  file->release();
  return 0;
}

bool FdTable::close_on_exec(int32_t fd) const {
  return get(fd) != nullptr && (cloexec_[fd / 64] >> (fd % 64) & 1) != 0;
}

void FdTable::set_close_on_exec(int32_t fd, CloseOnExec cloexec) {
  const uint64_t bit = uint64_t{1} << (fd % 64);
  if (cloexec == CloseOnExec::kYes) {
    cloexec_[fd / 64] |= bit;
  } else {
    cloexec_[fd / 64] &= ~bit;
  }
}

int32_t FdTable::next_open(int32_t from) const {
  for (int32_t fd = max(from, 0); fd < kMaxFds; ++fd) {
    if (files_[fd] != nullptr) return fd;
  }
  return -1;
}

void FdTable::close_marked() {
  for (int32_t fd = 0; fd < kMaxFds; ++fd) {
    if (close_on_exec(fd)) (void)close(fd);
  }
}

void FdTable::copy_from(const FdTable& other) {
  for (int32_t fd = 0; fd < kMaxFds; ++fd) {
    File* file = other.files_[fd];
    if (file == nullptr) continue;
    file->acquire();
    install(fd, file, other.close_on_exec(fd) ? CloseOnExec::kYes : CloseOnExec::kNo);
  }
}

}  // namespace hmk::lx
