#include "linuxcompat/pipe.h"

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/inode.h"
#include "linuxcompat/syscall_table.h"

namespace hmk::lx {
namespace {

// Pipes live on a file system of their own (pipefs), as on Linux; its inode numbers count up
// from 1, one per pipe, shared by both ends.
constexpr uint64_t kPipefsDevice = make_device(0, 12);
uint64_t g_next_pipe_ino = 1;

struct Pipe {
  uint64_t ino = g_next_pipe_ino++;
  // Made when the pipe is; current Linux (6.18 seen) leaves an anonymous pipe's times alone
  // after that, reads and writes included.
  Timespec made = fs::now();
  uint8_t* buffer = nullptr;
  uint64_t head = 0;  // where the next byte is read
  uint64_t count = 0;
  uint32_t readers = 1;
  uint32_t writers = 1;
  WaitQueue readable;  // readers wait for data (or the last writer to go)
  WaitQueue writable;  // writers wait for room (or the last reader to go)
};

class PipeEnd final : public File {
 public:
  PipeEnd(Pipe* pipe, bool write_end) : pipe_(pipe), write_end_(write_end) {}
  ~PipeEnd() override {
    if (write_end_) {
      --pipe_->writers;
      shim_services().wake_all(pipe_->readable);
    } else {
      --pipe_->readers;
      shim_services().wake_all(pipe_->writable);
    }
    if (pipe_->readers == 0 && pipe_->writers == 0) {
      delete[] pipe_->buffer;
      delete pipe_;
    }
  }
  PipeEnd(const PipeEnd&) = delete;
  PipeEnd& operator=(const PipeEnd&) = delete;

  int64_t read(uint8_t* buffer, uint64_t length) override {
    if (write_end_) return -kEBADF;
    if (length == 0) return 0;
    Pipe& p = *pipe_;
    if (p.count == 0) {
      if (p.writers == 0) return 0;
      return nonblocking() ? -kEAGAIN : kWouldBlock;
    }
    const uint64_t n = min(length, p.count);
    for (uint64_t i = 0; i < n; ++i)
      buffer[i] = p.buffer[(p.head + i) % kPipeCapacity];
    p.head = (p.head + n) % kPipeCapacity;
    p.count -= n;
    shim_services().wake_all(p.writable);
    return static_cast<int64_t>(n);
  }

  int64_t write(const uint8_t* data, uint64_t length) override {
    if (!write_end_) return -kEBADF;
    Pipe& p = *pipe_;
    if (p.readers == 0) return -kEPIPE;
    if (length == 0) return 0;
    const uint64_t room = kPipeCapacity - p.count;
    // Up to PIPE_BUF bytes go in at once or not at all.
    if (room == 0 || (length <= kPipeBuf && room < length)) {
      return nonblocking() ? -kEAGAIN : kWouldBlock;
    }
    const uint64_t n = min(length, room);
    const uint64_t tail = p.head + p.count;
    for (uint64_t i = 0; i < n; ++i)
      p.buffer[(tail + i) % kPipeCapacity] = data[i];
    p.count += n;
    shim_services().wake_all(p.readable);
    return static_cast<int64_t>(n);
  }

  int64_t ioctl(Task& task, uint64_t request, uint64_t argument) override;
  uint32_t poll_events() const override {
    const Pipe& p = *pipe_;
    if (!write_end_) {
      uint32_t events = p.count > 0 ? kPollIn | kPollRdnorm : 0;
      if (p.writers == 0) events |= kPollHup;
      return events;
    }
    if (p.readers == 0) return kPollErr;
    return kPipeCapacity - p.count >= kPipeBuf ? kPollOut | kPollWrnorm : 0;
  }
  // A FIFO owned by root (there are no credentials yet), mode 0600 as Linux makes it; st_size
  // is 0 whatever the pipe holds.
  void stat(Stat* out) const override {
    *out = {};
    out->dev = kPipefsDevice;
    out->ino = pipe_->ino;
    out->nlink = 1;
    out->mode = kSIfifo | 0600;
    out->blksize = 4096;
    out->atime = out->mtime = out->ctime = pipe_->made;
  }
  size_t describe(char* out, size_t capacity) const override {
    const size_t n = snformat(out, capacity, "pipe:[%lu]", pipe_->ino);
    return min(n, capacity > 0 ? capacity - 1 : 0);
  }
  bool readable() const override { return !write_end_; }
  bool writable() const override { return write_end_; }
  WaitQueue* wait_queue(bool for_write) override {
    return for_write ? &pipe_->writable : &pipe_->readable;
  }
  // A read finds bytes or the end, or does not wait; a write has a reader (no SIGPIPE) and
  // room for all of it, or does not wait.
  bool answers_at_once(bool for_write, uint64_t count) const override {
    const Pipe& p = *pipe_;
    if (for_write != write_end_) return true;  // -EBADF
    if (!for_write) return p.count > 0 || p.writers == 0 || nonblocking();
    return p.readers > 0 && (nonblocking() || count <= kPipeCapacity - p.count);
  }

 private:
  bool nonblocking() const { return (status_flags() & kONonblock) != 0; }

  Pipe* pipe_;
  bool write_end_;
};

constexpr uint64_t kFionread = 0x541b;
constexpr uint64_t kFionbio = 0x5421;

int64_t PipeEnd::ioctl(Task& task, uint64_t request, uint64_t argument) {
  if (request == kFionbio) {
    int32_t on = 0;
    if (!task.process.mm.copy_in(&on, argument, sizeof(on))) return -kEFAULT;
    set_status_flags(on != 0 ? status_flags() | kONonblock : status_flags() & ~kONonblock);
    return 0;
  }
  if (request != kFionread) return -kENOTTY;
  const auto available = static_cast<int32_t>(write_end_ ? 0 : pipe_->count);
  return task.process.mm.copy_out(argument, &available, sizeof(available)) ? 0 : -kEFAULT;
}

}  // namespace

bool make_pipe(File** read_end, File** write_end) {
  auto* pipe = new (kFallible) Pipe;
  if (pipe == nullptr) return false;
  pipe->buffer = new (kFallible) uint8_t[kPipeCapacity];
  if (pipe->buffer == nullptr) {
    delete pipe;
    return false;
  }
  auto* r = new (kFallible) PipeEnd(pipe, false);
  if (r == nullptr) {
    delete[] pipe->buffer;
    delete pipe;
    return false;
  }
  auto* w = new (kFallible) PipeEnd(pipe, true);
  if (w == nullptr) {
    pipe->writers = 0;
    delete r;  // the last end: frees the pipe
    return false;
  }
  *read_end = r;
  *write_end = w;
  return true;
}

int64_t sys_pipe2(Task& task, uint64_t pipefd, uint32_t flags) {
  if ((flags & ~(kOCloexec | kONonblock | kODirect)) != 0) return -kEINVAL;
  FdTable& fds = task.process.fds;
  const uint64_t limit = task.process.limits[kRlimitNofile].cur;
  File* read_end = nullptr;
  File* write_end = nullptr;
  if (!make_pipe(&read_end, &write_end)) return -kENOMEM;
  read_end->set_status_flags(flags & kONonblock);
  write_end->set_status_flags(flags & kONonblock);
  const CloseOnExec cloexec = (flags & kOCloexec) != 0 ? CloseOnExec::kYes : CloseOnExec::kNo;
  const int64_t r = fds.allocate(read_end, 0, limit, cloexec);
  if (r < 0) {
    write_end->release();
    return r;
  }
  const int64_t w = fds.allocate(write_end, 0, limit, cloexec);
  if (w < 0) {
    (void)fds.close(static_cast<int32_t>(r));
    return w;
  }
  const int32_t pair[2] = {static_cast<int32_t>(r), static_cast<int32_t>(w)};
  if (!task.process.mm.copy_out(pipefd, pair, sizeof(pair))) {
    (void)fds.close(pair[0]);
    (void)fds.close(pair[1]);
    return -kEFAULT;
  }
  return 0;
}

int64_t sys_pipe(Task& task, uint64_t pipefd) {
  return sys_pipe2(task, pipefd, 0);
}

}  // namespace hmk::lx
