// The first system calls: output, process identity, exit, TLS and thread-id words, limits,
// random bytes, signal bookkeeping. Declarations are generated from syscalls.tbl
// (syscall_table.h); each returns a value >= 0 or -errno, as Linux does.
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/signals.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"

namespace hmk::lx {
namespace {

// Writes `count` bytes from the process's `buffer` to `file` through a bounce buffer of
// PIPE_BUF bytes (so that such writes stay atomic), waiting while the file asks to. Linux
// returns what was written before a fault or an error, or the error if nothing was.
int64_t write_from(Task& task, File& file, uint64_t buffer, uint64_t count) {
  if (file.discards_writes()) return static_cast<int64_t>(count);  // the buffer is not read
  uint8_t chunk[4096];
  uint64_t done = 0;
  while (done < count) {
    const uint64_t n = min<uint64_t>(sizeof(chunk), count - done);
    if (!task.process.mm.copy_in(chunk, buffer + done, n)) {
      return done > 0 ? static_cast<int64_t>(done) : -kEFAULT;
    }
    uint64_t off = 0;
    while (off < n) {
      const int64_t written = file.write(chunk + off, n - off);
      if (written == kWouldBlock) {
        if (const int64_t e = wait_for_file(task, file, true); e != 0) {
          return done + off > 0 ? static_cast<int64_t>(done + off) : e;
        }
        continue;
      }
      if (written < 0) {
        if (written == -kEPIPE) raise_signal(task, kSigpipe);
        return done + off > 0 ? static_cast<int64_t>(done + off) : written;
      }
      off += static_cast<uint64_t>(written);
    }
    done += n;
  }
  return static_cast<int64_t>(done);
}

int64_t end_task(Task& task, int32_t code, bool thread_only) {
  task.exiting = true;
  task.thread_exit = thread_only;
  task.wait_status = (code & 0xff) << 8;
  return 0;
}

// One user, root, as in a container: the shim has no credentials model yet. Every call of
// the uid/gid family reads its ids from here, so that they agree with each other.
struct Credentials {
  uint32_t uid, euid, suid;  // real, effective, saved
  uint32_t gid, egid, sgid;
  uint32_t groups;  // supplementary groups: none
};

Credentials credentials_of(const Task&) {
  return {0, 0, 0, 0, 0, 0, 0};
}

// getresuid and getresgid: each id in turn, stopping at the first that faults, as Linux does.
int64_t put_ids(Task& task, const uint32_t (&ids)[3], const uint64_t (&where)[3]) {
  for (int i = 0; i < 3; ++i)
    if (!task.process.mm.copy_out(where[i], &ids[i], sizeof(ids[i]))) return -kEFAULT;
  return 0;
}

}  // namespace

int64_t sys_write(Task& task, int32_t fd, uint64_t buf, uint64_t count) {
  File* file = task.process.fds.get(fd);
  if (file == nullptr || !file->writable()) return -kEBADF;
  if (!access_ok(buf, count)) return -kEFAULT;
  if (count == 0) return 0;
  return write_from(task, *file, buf, min(count, kMaxRwCount));
}

int64_t sys_writev(Task& task, int32_t fd, uint64_t iov, uint64_t iovcnt) {
  File* file = task.process.fds.get(fd);
  if (file == nullptr || !file->writable()) return -kEBADF;
  return vectored_io(task, *file, iov, iovcnt, IoDirection::kWrite, &write_from);
}

int64_t sys_ioctl(Task& task, int32_t fd, uint32_t request, uint64_t arg) {
  File* file = task.process.fds.get(fd);
  if (file == nullptr) return -kEBADF;
  return file->ioctl(task, request, arg);
}

int64_t sys_getpid(Task& task) {
  return task.process.pid;
}

int64_t sys_getppid(Task& task) {
  return task.process.ppid;
}

int64_t sys_gettid(Task& task) {
  return task.tid;
}

int64_t sys_getuid(Task& task) {
  return credentials_of(task).uid;
}

int64_t sys_geteuid(Task& task) {
  return credentials_of(task).euid;
}

int64_t sys_getgid(Task& task) {
  return credentials_of(task).gid;
}

int64_t sys_getegid(Task& task) {
  return credentials_of(task).egid;
}

int64_t sys_getresuid(Task& task, uint64_t ruid, uint64_t euid, uint64_t suid) {
  const Credentials c = credentials_of(task);
  return put_ids(task, {c.uid, c.euid, c.suid}, {ruid, euid, suid});
}

int64_t sys_getresgid(Task& task, uint64_t rgid, uint64_t egid, uint64_t sgid) {
  const Credentials c = credentials_of(task);
  return put_ids(task, {c.gid, c.egid, c.sgid}, {rgid, egid, sgid});
}

int64_t sys_getgroups(Task& task, int32_t size, uint64_t list) {
  // Linux's order: a negative size is EINVAL; size 0 asks for the count only; a list too
  // small for the groups is EINVAL; only then are the groups written (EFAULT). There are none
  // to write, so `list` is never touched and cannot fault.
  (void)list;
  if (size < 0) return -kEINVAL;
  const uint32_t count = credentials_of(task).groups;
  if (size != 0 && count > static_cast<uint32_t>(size)) return -kEINVAL;
  return count;
}

int64_t sys_exit(Task& task, int32_t status) {
  return end_task(task, status, true);  // the process ends with its last task
}

int64_t sys_exit_group(Task& task, int32_t status) {
  return end_task(task, status, false);
}

int64_t sys_set_tid_address(Task& task, uint64_t tidptr) {
  task.clear_child_tid = tidptr;
  return task.tid;
}

int64_t sys_set_robust_list(Task& task, uint64_t head, uint64_t len) {
  if (len != 24) return -kEINVAL;  // sizeof(struct robust_list_head)
  task.robust_list = head;
  return 0;
}

int64_t sys_get_robust_list(Task& task, int32_t pid, uint64_t head_ptr, uint64_t len_ptr) {
  if (pid != 0 && pid != task.tid) return -kESRCH;  // only the caller's own, so far
  const uint64_t len = 24;
  if (!task.process.mm.copy_out(head_ptr, &task.robust_list, sizeof(uint64_t)) ||
      !task.process.mm.copy_out(len_ptr, &len, sizeof(len))) {
    return -kEFAULT;
  }
  return 0;
}

int64_t sys_arch_prctl(Task& task, int32_t code, uint64_t addr) {
  switch (static_cast<uint64_t>(static_cast<uint32_t>(code))) {
    case kArchSetFs:
    case kArchSetGs: {
      if (addr >= kTaskSize) return -kEPERM;
      const bool fs = static_cast<uint32_t>(code) == kArchSetFs;
      const uint64_t fs_base = fs ? addr : task.fs_base;
      const uint64_t gs_base = fs ? task.gs_base : addr;
      if (shim_services().set_tls(task, fs_base, gs_base) != Status::kOk) return -kEPERM;
      task.fs_base = fs_base;
      task.gs_base = gs_base;
      return 0;
    }
    case kArchGetFs:
    case kArchGetGs: {
      const uint64_t value =
          static_cast<uint32_t>(code) == kArchGetFs ? task.fs_base : task.gs_base;
      return task.process.mm.copy_out(addr, &value, sizeof(value)) ? 0 : -kEFAULT;
    }
    default:
      return -kEINVAL;
  }
}

int64_t sys_uname(Task& task, uint64_t buf) {
  Utsname u = {};
  auto set = [](char* field, const char* text) {
    for (size_t i = 0; text[i] != 0 && i < 64; ++i)
      field[i] = text[i];
  };
  set(u.sysname, "Linux");
  set(u.nodename, "hmk");
  set(u.release, "6.1.0-hmk");
  set(u.version, "#1 HMK (the HMK microkernel's Linux shim)");
  set(u.machine, "x86_64");
  set(u.domainname, "(none)");
  return task.process.mm.copy_out(buf, &u, sizeof(u)) ? 0 : -kEFAULT;
}

int64_t sys_prlimit64(Task& task, int32_t pid, uint32_t resource, uint64_t new_limit,
                      uint64_t old_limit) {
  if (pid != 0 && pid != task.process.pid) return -kESRCH;
  if (resource >= kRlimitCount) return -kEINVAL;
  Rlimit& limit = task.process.limits[resource];
  Rlimit wanted;
  if (new_limit != 0) {
    if (!task.process.mm.copy_in(&wanted, new_limit, sizeof(wanted))) return -kEFAULT;
    if (wanted.cur > wanted.max) return -kEINVAL;
    if (wanted.max > limit.max) return -kEPERM;  // raising the hard limit needs privilege
  }
  if (old_limit != 0 && !task.process.mm.copy_out(old_limit, &limit, sizeof(limit))) {
    return -kEFAULT;
  }
  if (new_limit == 0) return 0;
  // RLIMIT_AS is memmgr's page budget for the process (Linux counts whole pages too).
  if (resource == kRlimitAs) {
    if (int64_t e = task.process.mm.set_budget(wanted.cur / kPageSize); e != 0) return e;
  }
  limit = wanted;
  return 0;
}

int64_t sys_getrandom(Task& task, uint64_t buf, uint64_t buflen, uint32_t flags) {
  if ((flags & ~(kGrndNonblock | kGrndRandom | kGrndInsecure)) != 0) return -kEINVAL;
  if ((flags & kGrndRandom) != 0 && (flags & kGrndInsecure) != 0) return -kEINVAL;
  buflen = min<uint64_t>(buflen, 33554431);  // Linux's cap per call
  uint8_t chunk[256];
  uint64_t done = 0;
  while (done < buflen) {
    const uint64_t n = min<uint64_t>(sizeof(chunk), buflen - done);
    shim_services().random(chunk, n);
    if (!task.process.mm.copy_out(buf + done, chunk, n)) {
      return done > 0 ? static_cast<int64_t>(done) : -kEFAULT;
    }
    done += n;
  }
  return static_cast<int64_t>(done);
}

int64_t sys_rt_sigaction(Task& task, int32_t sig, uint64_t act, uint64_t oldact,
                         uint64_t sigsetsize) {
  if (sigsetsize != sizeof(uint64_t)) return -kEINVAL;
  if (sig < 1 || sig > static_cast<int32_t>(kSignalCount)) return -kEINVAL;
  if (act != 0 && (sig == kSigkill || sig == 19)) return -kEINVAL;  // SIGKILL, SIGSTOP
  KernelSigaction& slot = task.process.actions[sig - 1];
  KernelSigaction wanted;
  if (act != 0 && !task.process.mm.copy_in(&wanted, act, sizeof(wanted))) return -kEFAULT;
  if (oldact != 0 && !task.process.mm.copy_out(oldact, &slot, sizeof(slot))) return -kEFAULT;
  if (act != 0) {
    slot = wanted;
    // A signal that is now ignored is no longer pending (POSIX).
    if (signal_ignored(task.process, sig)) task.pending &= ~(uint64_t{1} << (sig - 1));
  }
  return 0;
}

int64_t sys_rt_sigprocmask(Task& task, int32_t how, uint64_t set, uint64_t oldset,
                           uint64_t sigsetsize) {
  if (sigsetsize != sizeof(uint64_t)) return -kEINVAL;
  uint64_t wanted = 0;
  if (set != 0) {
    if (how < 0 || static_cast<uint64_t>(how) > kSigSetmask) return -kEINVAL;
    if (!task.process.mm.copy_in(&wanted, set, sizeof(wanted))) return -kEFAULT;
  }
  if (oldset != 0 && !task.process.mm.copy_out(oldset, &task.signal_mask, sizeof(uint64_t))) {
    return -kEFAULT;
  }
  if (set != 0) {
    const uint64_t unblockable = (uint64_t{1} << (kSigkill - 1)) | (uint64_t{1} << (19 - 1));
    if (how == static_cast<int32_t>(kSigBlock)) task.signal_mask |= wanted;
    if (how == static_cast<int32_t>(kSigUnblock)) task.signal_mask &= ~wanted;
    if (how == static_cast<int32_t>(kSigSetmask)) task.signal_mask = wanted;
    task.signal_mask &= ~unblockable;
  }
  return 0;
}

}  // namespace hmk::lx
