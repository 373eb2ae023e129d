// File system calls on descriptors: reading, seeking, listing, duplicating, fcntl, status,
// truncating, syncing, sendfile. (write and writev are in syscalls_basic.cc; calls on names in
// syscalls_fs_paths.cc.) Data moves between the process and a File through a bounce buffer,
// one chunk at a time.
#include "linuxcompat/syscalls_fs.h"

#include "core/lib/util.h"
#include "linuxcompat/fs/path.h"
#include "linuxcompat/syscall_table.h"

namespace hmk::lx {
namespace {

constexpr uint64_t kChunk = 4096;

uint64_t fd_limit(Task& task) {
  return task.process.limits[kRlimitNofile].cur;
}

// A read may go on after a full chunk only where data never waits to arrive: the files of the
// file system (regular files, the memory devices, /proc's). Any other (a pipe) answers with
// what it has, as a Linux read returns what is there: read_into goes on only while it has more.
bool keeps_reading(File& file) {
  return file.inode() != nullptr;
}

// Copies what it can of `length` bytes to the process at `address`, page by page (memory is
// mapped in pages): the count copied.
uint64_t copy_out_partly(Task& task, uint64_t address, const uint8_t* data, uint64_t length) {
  uint64_t done = 0;
  while (done < length) {
    const uint64_t piece = min(length - done, kPageSize - (address + done) % kPageSize);
    if (!task.process.mm.copy_out(address + done, data + done, piece)) break;
    done += piece;
  }
  return done;
}

// Up to `count` bytes of `file` into the process at `buffer`: from the file offset, or from
// `*at` (pread). As Linux, the bytes before a fault are read (and only they are consumed), and
// a fault before the first byte is -EFAULT.
int64_t read_into(Task& task, File& file, uint64_t buffer, uint64_t count, const uint64_t* at) {
  uint8_t chunk[kChunk];
  uint64_t done = 0;
  while (done < count) {
    const uint64_t want = min(kChunk, count - done);
    const int64_t got =
        at != nullptr ? file.pread(chunk, want, *at + done) : file.read(chunk, want);
    if (got == kWouldBlock) {  // a pipe with nothing in it yet: what came, or wait for more
      if (done > 0) break;
      if (const int64_t e = wait_for_file(task, file, false); e != 0) return e;
      continue;
    }
    if (got < 0) return done > 0 ? static_cast<int64_t>(done) : got;
    const auto n = static_cast<uint64_t>(got);
    const uint64_t copied = copy_out_partly(task, buffer + done, chunk, n);
    done += copied;
    if (copied < n) {
      if (at == nullptr) (void)file.seek(-static_cast<int64_t>(n - copied), kSeekCur);
      return done > 0 ? static_cast<int64_t>(done) : -kEFAULT;
    }
    if (n < want || (!keeps_reading(file) && (file.poll_events() & kPollIn) == 0)) break;
  }
  return static_cast<int64_t>(done);
}

int64_t stat_out(Task& task, File& file, uint64_t statbuf) {
  Stat st;
  file.stat(&st);
  return task.process.mm.copy_out(statbuf, &st, sizeof(st)) ? 0 : -kEFAULT;
}

int64_t duplicate(Task& task, int32_t oldfd, int32_t newfd, CloseOnExec cloexec) {
  File* file = any_file(task, oldfd);
  if (newfd < 0 || static_cast<uint64_t>(newfd) >= min<uint64_t>(fd_limit(task), FdTable::kMaxFds))
    return -kEBADF;
  if (file == nullptr) return -kEBADF;
  file->acquire();
  task.process.fds.install(newfd, file, cloexec);
  return newfd;
}

// F_GETLK, F_SETLK, F_SETLKW and their OFD forms: the lock is checked, then always granted
// (one process, no contention yet); F_GETLK says nothing is in the way.
int64_t record_lock(Task& task, File& file, uint32_t cmd, uint64_t arg) {
  Flock lock;
  if (!task.process.mm.copy_in(&lock, arg, sizeof(lock))) return -kEFAULT;
  if (lock.type != kFRdlck && lock.type != kFWrlck && lock.type != kFUnlck) return -kEINVAL;
  if (lock.whence < 0 || lock.whence > 2) return -kEINVAL;
  const bool ofd = cmd == kFOfdGetlk || cmd == kFOfdSetlk || cmd == kFOfdSetlkw;
  if (ofd && lock.pid != 0) return -kEINVAL;
  if (cmd == kFGetlk || cmd == kFOfdGetlk) {
    if (lock.type == kFUnlck) return -kEINVAL;
    lock.type = kFUnlck;
    return task.process.mm.copy_out(arg, &lock, sizeof(lock)) ? 0 : -kEFAULT;
  }
  if (lock.type == kFRdlck && !file.readable()) return -kEBADF;
  if (lock.type == kFWrlck && !file.writable()) return -kEBADF;
  return 0;
}

uint32_t access_mode(const File& file) {
  if (file.readable() && file.writable()) return kORdwr;
  return file.writable() ? kOWronly : kORdonly;
}

}  // namespace

// ---- shared with syscalls_fs_paths.cc ----

int64_t copy_path(Task& task, uint64_t address, PathBuffer* out, EmptyPath empty) {
  const int64_t n = task.process.mm.copy_string(out->text, address, sizeof(out->text));
  if (n < 0) return n;
  out->length = static_cast<size_t>(n);
  return n == 0 && empty == EmptyPath::kRefused ? -kENOENT : 0;
}

File* any_file(Task& task, int32_t fd) {
  return task.process.fds.get(fd);
}

File* io_file(Task& task, int32_t fd) {
  File* file = task.process.fds.get(fd);
  return file != nullptr && (file->status_flags() & kOPath) == 0 ? file : nullptr;
}

int64_t start_of(Task& task, int32_t dirfd, StringView path, fs::InodeRef* out) {
  if (dirfd == kAtFdcwd || path.starts_with('/')) {
    *out = fs::working_directory_of(task.process);
    return 0;
  }
  File* file = any_file(task, dirfd);
  if (file == nullptr) return -kEBADF;
  if (file->inode() == nullptr || !file->inode()->is_directory()) return -kENOTDIR;
  out->reset(file->inode());
  return 0;
}

int64_t lookup_at(Task& task, int32_t dirfd, uint64_t path, uint32_t flags, fs::Follow follow,
                  Target* out) {
  PathBuffer name;
  const EmptyPath empty = (flags & kAtEmptyPath) != 0 ? EmptyPath::kAllowed : EmptyPath::kRefused;
  if (int64_t e = copy_path(task, path, &name, empty); e != 0) return e;
  if (name.length == 0) {
    out->empty_path = true;
    if (dirfd == kAtFdcwd) {
      out->inode = fs::working_directory_of(task.process);
      return 0;
    }
    out->file = any_file(task, dirfd);
    if (out->file == nullptr) return -kEBADF;
    out->inode.reset(out->file->inode());
    return 0;
  }
  if ((flags & kAtSymlinkNofollow) != 0) follow = fs::Follow::kNo;
  fs::InodeRef start;
  if (int64_t e = start_of(task, dirfd, name.view(), &start); e != 0) return e;
  return fs::resolve(task.process, start.get(), name.view(), follow, &out->inode);
}

// ---- the handlers ----

int64_t sys_read(Task& task, int32_t fd, uint64_t buf, uint64_t count) {
  File* file = io_file(task, fd);
  if (file == nullptr || !file->readable()) return -kEBADF;
  if (!access_ok(buf, count)) return -kEFAULT;
  return read_into(task, *file, buf, min(count, kMaxRwCount), nullptr);
}

int64_t sys_pread64(Task& task, int32_t fd, uint64_t buf, uint64_t count, int64_t offset) {
  if (offset < 0) return -kEINVAL;
  File* file = io_file(task, fd);
  if (file == nullptr || !file->readable()) return -kEBADF;
  const auto at = static_cast<uint64_t>(offset);
  uint8_t none = 0;
  const int64_t probe = file->pread(&none, 0, at);  // -ESPIPE for a stream, before the buffer
  if (probe < 0 || count == 0) return probe;
  if (!access_ok(buf, count)) return -kEFAULT;
  return read_into(task, *file, buf, min(count, kMaxRwCount), &at);
}

int64_t sys_readv(Task& task, int32_t fd, uint64_t iov, uint64_t iovcnt) {
  File* file = io_file(task, fd);
  if (file == nullptr || !file->readable()) return -kEBADF;
  return vectored_io(task, *file, iov, iovcnt, IoDirection::kRead,
                     [](Task& t, File& f, uint64_t base, uint64_t n) {
                       return read_into(t, f, base, n, nullptr);
                     });
}

int64_t sys_pwrite64(Task& task, int32_t fd, uint64_t buf, uint64_t count, int64_t offset) {
  if (offset < 0) return -kEINVAL;
  File* file = io_file(task, fd);
  if (file == nullptr || !file->writable()) return -kEBADF;
  uint8_t chunk[kChunk];
  uint64_t done = 0;
  const int64_t probe = file->pwrite(chunk, 0, static_cast<uint64_t>(offset));  // -ESPIPE
  if (probe < 0 || count == 0) return probe;
  if (!access_ok(buf, count)) return -kEFAULT;
  count = min(count, kMaxRwCount);
  while (done < count) {
    const uint64_t n = min(kChunk, count - done);
    if (!task.process.mm.copy_in(chunk, buf + done, n)) {
      return done > 0 ? static_cast<int64_t>(done) : -kEFAULT;
    }
    const int64_t written = file->pwrite(chunk, n, static_cast<uint64_t>(offset) + done);
    if (written < 0) return done > 0 ? static_cast<int64_t>(done) : written;
    done += static_cast<uint64_t>(written);
    if (static_cast<uint64_t>(written) < n) break;
  }
  return static_cast<int64_t>(done);
}

int64_t sys_close(Task& task, int32_t fd) {
  return task.process.fds.close(fd);
}

int64_t sys_lseek(Task& task, int32_t fd, int64_t offset, uint32_t whence) {
  File* file = io_file(task, fd);
  if (file == nullptr) return -kEBADF;
  if (whence > kSeekHole) return -kEINVAL;
  return file->seek(offset, whence);
}

int64_t sys_fstat(Task& task, int32_t fd, uint64_t statbuf) {
  File* file = any_file(task, fd);
  if (file == nullptr) return -kEBADF;
  return stat_out(task, *file, statbuf);
}

int64_t sys_getdents64(Task& task, int32_t fd, uint64_t dirp, uint32_t count) {
  File* file = io_file(task, fd);
  if (file == nullptr) return -kEBADF;
  if (file->inode() == nullptr || !file->inode()->is_directory()) return -kENOTDIR;
  uint8_t chunk[kChunk];
  uint64_t done = 0;
  while (done < count) {
    // Where the listing stands (the cookie of the last record listed): what a fault gives back.
    const int64_t before = file->seek(0, kSeekCur);
    const int64_t got = file->getdents(chunk, min<uint64_t>(kChunk, count - done));
    if (got < 0) return done > 0 ? static_cast<int64_t>(done) : got;  // -EINVAL: none fits
    if (got == 0) break;
    // Record by record, as Linux writes them: at a fault, the records before it are the
    // result (-EFAULT if there are none) and the listing resumes with the first one that did
    // not arrive, i.e. after the d_off of the last that did.
    int64_t resume = before;
    for (uint64_t at = 0; at < static_cast<uint64_t>(got);) {
      Dirent64 head;
      mem_copy(&head, chunk + at, kDirent64NameOffset);
      if (!task.process.mm.copy_out(dirp + done, chunk + at, head.reclen)) {
        if (resume >= 0) (void)file->seek(resume, kSeekSet);
        return done > 0 ? static_cast<int64_t>(done) : -kEFAULT;
      }
      resume = head.off;
      done += head.reclen;
      at += head.reclen;
    }
  }
  return static_cast<int64_t>(done);
}

int64_t sys_dup(Task& task, int32_t oldfd) {
  File* file = any_file(task, oldfd);
  if (file == nullptr) return -kEBADF;
  file->acquire();
  return task.process.fds.allocate(file, 0, fd_limit(task), CloseOnExec::kNo);
}

int64_t sys_dup2(Task& task, int32_t oldfd, int32_t newfd) {
  if (oldfd == newfd) return any_file(task, oldfd) != nullptr ? newfd : -kEBADF;
  return duplicate(task, oldfd, newfd, CloseOnExec::kNo);
}

int64_t sys_dup3(Task& task, int32_t oldfd, int32_t newfd, uint32_t flags) {
  if ((flags & ~kOCloexec) != 0 || oldfd == newfd) return -kEINVAL;
  const CloseOnExec cloexec = (flags & kOCloexec) != 0 ? CloseOnExec::kYes : CloseOnExec::kNo;
  return duplicate(task, oldfd, newfd, cloexec);
}

int64_t sys_fcntl(Task& task, int32_t fd, uint32_t cmd, uint64_t arg) {
  File* file = any_file(task, fd);
  if (file == nullptr) return -kEBADF;
  const bool path_only = (file->status_flags() & kOPath) != 0;
  switch (cmd) {
    case kFDupfd:
    case kFDupfdCloexec: {
      const auto lowest = static_cast<int32_t>(arg);
      if (lowest < 0 || static_cast<uint64_t>(lowest) >= fd_limit(task)) return -kEINVAL;
      file->acquire();
      return task.process.fds.allocate(file, lowest, fd_limit(task),
                                       cmd == kFDupfd ? CloseOnExec::kNo : CloseOnExec::kYes);
    }
    case kFGetfd:
      return task.process.fds.close_on_exec(fd) ? kFdCloexec : 0;
    case kFSetfd:
      task.process.fds.set_close_on_exec(
          fd, (arg & kFdCloexec) != 0 ? CloseOnExec::kYes : CloseOnExec::kNo);
      return 0;
    case kFGetfl:
      return (path_only ? 0 : access_mode(*file)) | file->status_flags();
    default:
      break;
  }
  if (path_only) return -kEBADF;
  switch (cmd) {
    case kFSetfl:
      file->set_status_flags((file->status_flags() & ~kSetflMask) |
                             (static_cast<uint32_t>(arg) & kSetflMask));
      return 0;
    case kFGetlk:
    case kFSetlk:
    case kFSetlkw:
    case kFOfdGetlk:
    case kFOfdSetlk:
    case kFOfdSetlkw:
      return record_lock(task, *file, cmd, arg);
    case kFGetown:
    case kFSetown:
      return 0;  // no signals are delivered (SIGIO): no owner to keep
    default:
      return -kEINVAL;
  }
}

int64_t sys_ftruncate(Task& task, int32_t fd, uint64_t length) {
  if (static_cast<int64_t>(length) < 0) return -kEINVAL;
  File* file = io_file(task, fd);
  if (file == nullptr) return -kEBADF;
  if (!file->writable()) return -kEINVAL;
  return file->truncate(length);
}

int64_t sys_fsync(Task& task, int32_t fd) {
  File* file = io_file(task, fd);
  return file != nullptr ? file->sync() : -kEBADF;
}

int64_t sys_fdatasync(Task& task, int32_t fd) {
  return sys_fsync(task, fd);
}

int64_t sys_fadvise64(Task& task, int32_t fd, int64_t offset, uint64_t len, int32_t advice) {
  (void)offset;
  File* file = io_file(task, fd);
  if (file == nullptr) return -kEBADF;
  Stat st;
  file->stat(&st);
  if ((st.mode & kSIfmt) == kSIfifo) return -kESPIPE;
  if (advice < 0 || advice > kFadvMax || static_cast<int64_t>(len) < 0) return -kEINVAL;
  return 0;  // advice taken: everything is in memory already
}

int64_t sys_sendfile(Task& task, int32_t out_fd, int32_t in_fd, uint64_t offset, uint64_t count) {
  int64_t pos = -1;  // reading at the file offset
  if (offset != 0 && !task.process.mm.copy_in(&pos, offset, sizeof(pos))) {
    return -kEFAULT;  // Linux reads the offset before it looks at the descriptors
  }
  File* in = io_file(task, in_fd);
  File* out = io_file(task, out_fd);
  if (in == nullptr || !in->readable() || out == nullptr || !out->writable()) return -kEBADF;
  if ((out->status_flags() & kOAppend) != 0) return -kEINVAL;
  if (offset != 0 && pos < 0) return -kEINVAL;
  count = min(count, kMaxRwCount);
  uint8_t chunk[kChunk];
  uint64_t done = 0;
  int64_t error = 0;
  while (done < count) {
    const uint64_t want = min(kChunk, count - done);
    const int64_t got = pos >= 0 ? in->pread(chunk, want, static_cast<uint64_t>(pos) + done)
                                 : in->read(chunk, want);
    if (got <= 0) {
      error = got;
      break;
    }
    const int64_t put = out->write(chunk, static_cast<uint64_t>(got));
    if (put < 0) error = put;
    const int64_t kept = put < 0 ? 0 : put;
    if (pos < 0 && kept < got) (void)in->seek(kept - got, kSeekCur);  // give back the rest
    done += static_cast<uint64_t>(kept);
    if (kept < got || (pos < 0 && !keeps_reading(*in))) break;
  }
  if (offset != 0) {
    const int64_t end = pos + static_cast<int64_t>(done);
    if (!task.process.mm.copy_out(offset, &end, sizeof(end))) return -kEFAULT;
  }
  return done > 0 ? static_cast<int64_t>(done) : error;
}

}  // namespace hmk::lx
