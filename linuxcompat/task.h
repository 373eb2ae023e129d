// The shim's per-process Linux state: processes (address space, open files, working directory,
// signal dispositions, limits, break) and their tasks (Linux threads: a kernel thread each, with
// TLS, the signal mask and the thread-id words).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "linuxcompat/address_space.h"
#include "linuxcompat/fs/ref.h"
#include "linuxcompat/linux.h"

namespace hmk::lx {

class Task;

// Tasks blocked in a system call until something happens (a pipe gets data, a child ends).
// Each waiter is a shim thread serving one task's call; wake_all wakes every one, and each
// checks its condition again (the shim's lock is held around both).
struct Waiter {
  Waiter* next;
  uint64_t token;  // what ShimServices::wake takes (the shim thread's notification)
};
struct WaitQueue {
  Waiter* first = nullptr;
};
// Takes `self` out of `queue` (after its wait: woken or not).
inline void unlink_waiter(WaitQueue& queue, const Waiter* self) {
  // bound: one step per waiter in the queue
  for (Waiter** w = &queue.first; *w != nullptr; w = &(*w)->next) {
    if (*w == self) {
      *w = self->next;
      return;
    }
  }
}

// An open file description: what an fd refers to. Reference-counted (dup, fork share one).
// Subclasses: the file system's files (linuxcompat/fs/open_file.h: regular files, directories,
// devices, O_PATH), the shim's serial ports and empty input (shim.cc). Every operation but read,
// write, readable and writable has a default that answers as Linux does for a file without it.
class File {
 public:
  virtual ~File() = default;
  // Each returns a count or -errno. The buffers are the shim's: the handler copies from or to
  // the process (through task.process.mm, in chunks), so a call may come once per chunk.
  // read and write use and advance the file offset (a stream has none).
  virtual int64_t read(uint8_t* buffer, uint64_t length) = 0;
  virtual int64_t write(const uint8_t* data, uint64_t length) = 0;
  // pread64, pwrite64: at `offset`, the file offset left alone. Default -ESPIPE (a stream).
  virtual int64_t pread(uint8_t* buffer, uint64_t length, uint64_t offset);
  virtual int64_t pwrite(const uint8_t* data, uint64_t length, uint64_t offset);
  // lseek: the new offset; -EINVAL for a bad whence or a negative result. Default -ESPIPE.
  virtual int64_t seek(int64_t offset, uint32_t whence);
  // getdents64: whole linux_dirent64 records into `buffer`; the bytes filled, 0 at the end,
  // -EINVAL if the next record does not fit. Default -ENOTDIR.
  virtual int64_t getdents(uint8_t* buffer, uint64_t length);
  // ftruncate (the handler has checked that the file is open for writing). Default -EINVAL.
  virtual int64_t truncate(uint64_t length);
  // fsync, fdatasync. Default -EINVAL (Linux: a file without an fsync operation).
  virtual int64_t sync();
  virtual int64_t ioctl(Task& task, uint64_t request, uint64_t argument);
  // fstat. Default: an anonymous inode (mode 0600 without a type, like an eventfd's), its
  // inode number unique to this File.
  virtual void stat(Stat* out) const;
  // The file system inode behind the file, if any (fchdir, fchmod, fchown, *at calls with a
  // dirfd, /proc/PID/fd). Default none.
  virtual fs::Inode* inode() const { return nullptr; }
  // What /proc/PID/fd/N reads as (a path, or e.g. "pipe:[12]"), NUL-terminated in `out`
  // (truncated to fit); its length. Default "anon_inode:[file]".
  virtual size_t describe(char* out, size_t capacity) const;
  virtual bool readable() const = 0;
  virtual bool writable() const = 0;
  // Whether write throws away whatever it is given (/dev/null): then write(2) answers the full
  // count without reading the buffer, as Linux's write_null does. Default no.
  virtual bool discards_writes() const { return false; }
  // Whether a read (for_write false) or write of `count` bytes (~0: not known, readv and
  // writev), in any of the read/write calls' forms, would neither wait nor raise a signal now:
  // then the shim may answer the call the quick way (shim.h: handle_quick), with no means to
  // wait. Default no.
  virtual bool answers_at_once(bool for_write, uint64_t count) const {
    (void)for_write, (void)count;
    return false;
  }
  // A file that can make a reader or writer wait (a pipe) returns kWouldBlock from read or
  // write instead, and says here which queue to wait in before trying again.
  virtual WaitQueue* wait_queue(bool for_write);
  // poll's events that hold now (POLLIN, POLLOUT, POLLHUP, POLLERR...). Default: a file that
  // never waits is always ready for what it is open for.
  virtual uint32_t poll_events() const;

  // The status flags of open (O_APPEND, O_NONBLOCK, O_SYNC, O_PATH, ...; not the access mode,
  // which readable() and writable() give): F_GETFL and F_SETFL.
  uint32_t status_flags() const { return status_flags_; }
  void set_status_flags(uint32_t flags) { status_flags_ = flags; }

  void acquire() { ++refs_; }
  void release() {
    if (--refs_ == 0) delete this;
  }

 private:
  uint32_t refs_ = 1;
  uint32_t status_flags_ = 0;
};

enum class CloseOnExec : uint8_t { kNo, kYes };

// The descriptor table: each fd a File reference and its close-on-exec flag.
class FdTable {
 public:
  static constexpr int32_t kMaxFds = 1024;  // RLIMIT_NOFILE's hard limit
  FdTable() = default;
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;
  ~FdTable();

  File* get(int32_t fd) const { return fd >= 0 && fd < kMaxFds ? files_[fd] : nullptr; }
  // Installs `file` (taking the caller's reference) at `fd` (0 <= fd < kMaxFds), closing what
  // was there.
  void install(int32_t fd, File* file, CloseOnExec cloexec = CloseOnExec::kNo);
  // The lowest free fd >= `lowest` and below `limit` (RLIMIT_NOFILE, at most kMaxFds) for
  // `file`, taking the caller's reference: the fd, or -EMFILE (the reference is then dropped).
  int64_t allocate(File* file, int32_t lowest, uint64_t limit, CloseOnExec cloexec);
  // The lowest free fd below `limit` (and kMaxFds), or -1.
  int32_t lowest_free(uint64_t limit) const;
  // 0, or -EBADF if `fd` is not open.
  int64_t close(int32_t fd);
  bool close_on_exec(int32_t fd) const;
  void set_close_on_exec(int32_t fd, CloseOnExec cloexec);
  // The lowest open fd >= `from`, or -1.
  int32_t next_open(int32_t from) const;
  // execve: closes every fd marked close-on-exec.
  void close_marked();
  // fork: the same files (each one more reference) with the same flags; this table is empty.
  void copy_from(const FdTable& other);
  // The process's end: every fd closed.
  void close_all();

 private:
  File* files_[kMaxFds] = {};
  uint64_t cloexec_[kMaxFds / 64] = {};
};

class Process {
 public:
  Process(int32_t pid, int32_t ppid, abi::Handle space, MemoryBackend& backend)
      : pid(pid), ppid(ppid), pgid(pid), sid(pid), space(space), mm(backend) {}

  const int32_t pid;
  int32_t ppid;  // 1 once its parent has ended
  int32_t pgid;
  int32_t sid;
  abi::Handle space;  // the shim's capability to the process's space; 0 once it has ended
  // Ended and not yet waited for: only pid, parent and wait status are left.
  bool zombie = false;
  int32_t wait_status = 0;  // Linux's: exit code << 8, or the signal that ended it
  // Parents wait here in wait4 for a child to end; a vfork parent for its child to exec or end.
  WaitQueue child_events;
  bool vfork_pending = false;  // a vfork child that has neither exec'd nor ended
  // An execve waits here for the process's other tasks to end (each wakes it as it goes).
  WaitQueue task_exits;
  // Its Task objects (tasks whose call a shim thread still handles outlive the process's end);
  // a reaped process is deleted with its last one.
  uint32_t task_count = 0;
  bool reaped = false;
  // ITIMER_REAL (setitimer, alarm): when SIGALRM is due (monotonic ns, 0: disarmed) and every
  // how often after that (0: once).
  uint64_t alarm_deadline = 0;
  uint64_t alarm_interval = 0;
  AddressSpace mm;
  FdTable fds;
  uint64_t brk_base = 0;  // where the heap starts (the page after the program)
  uint64_t brk = 0;       // the current break; mapped up to align_up(brk)
  uint32_t umask = 022;
  // Where paths start: the working directory and the root (the file system's root when unset;
  // there is no chroot yet). A fork copies both.
  fs::InodeRef cwd;
  fs::InodeRef root;
  KernelSigaction actions[kSignalCount] = {};
  Rlimit limits[kRlimitCount] = {};
  char exe[256] = {};
  // /proc/PID/cmdline: the arguments of its last execve, each NUL-terminated, at most
  // kCmdlineMax bytes of them (as Linux before 4.2 gave a page); a fork copies them.
  // Only the first cmdline_length bytes mean anything (not zeroed: a process is made at every
  // fork, and 4 KiB of stores would cost it a few hundred ns).
  static constexpr uint32_t kCmdlineMax = 4096;
  char cmdline[kCmdlineMax];
  uint32_t cmdline_length = 0;
  uint64_t start_ns = 0;  // when it was made (monotonic ns): /proc/PID/stat's starttime
};

class Task {
 public:
  Task(Process& process, int32_t tid, abi::Handle thread)
      : process(process), tid(tid), thread(thread) {}

  Process& process;
  // Its thread id and the shim's capability to its kernel thread; both change only when a
  // task other than the main one execs (it takes the pid as its tid, on a new kernel thread:
  // move_task).
  int32_t tid;
  abi::Handle thread;
  uint64_t fs_base = 0;
  uint64_t gs_base = 0;
  uint64_t clear_child_tid = 0;  // set_tid_address
  uint64_t robust_list = 0;      // set_robust_list
  uint64_t signal_mask = 0;
  // Set by exit and exit_group (and fatal faults): the shim ends the process instead of
  // resuming the task. The Linux wait status: exit code << 8, or the signal number.
  bool exiting = false;
  int32_t wait_status = 0;
  // A signal's default action ended the process while this task waited in a call: the call
  // gives up (block() returns -EINTR) and the task is not resumed.
  bool killed = false;
  bool thread_exit = false;  // exit (not exit_group): only this task ends
  // Another task of its process execs (Linux's de_thread): this one ends at its next call or
  // when the call it is in returns, doing nothing more (killed is set too, to end a wait).
  bool ended_by_exec = false;
  // Its execve moved it to a new kernel thread (move_task): the reply ends the old thread, which
  // made the call, and the new one starts instead.
  bool thread_replaced = false;
  bool in_call = false;  // a shim thread is handling a call of this task
  // sched_yield: the reply puts the task behind the other runnable threads of its priority
  // (the kernel's plain reply) instead of resuming it at once (reply_recv's direct switch).
  bool yielding = false;
  WaitQueue* waiting_on = nullptr;  // where that call waits (ShimServices::block)
  // Signals sent and not yet delivered (bit n-1 for signal n), and what rt_sigsuspend
  // replaced: the mask to restore once a signal was delivered.
  uint64_t pending = 0;
  int32_t senders[kSignalCount] = {};  // who sent each pending signal (siginfo's si_pid)
  bool mask_saved = false;
  uint64_t saved_mask = 0;
  WaitQueue signal_wait;  // rt_sigsuspend and pause wait here
  // The alternate signal stack (sigaltstack); size 0: none.
  uint64_t altstack_sp = 0;
  uint64_t altstack_size = 0;
  char name[16] = {};  // prctl(PR_SET_NAME): the exe's last component at first

  // Whether a signal it does not block is pending: a waiting call gives up (-EINTR).
  bool interrupted() const { return killed || (pending & ~signal_mask) != 0; }
};

// File::read and File::write: nothing can be done now, wait in File::wait_queue and try again
// (a file opened non-blocking answers -EAGAIN instead).
inline constexpr int64_t kWouldBlock = INT64_MIN + 1;

// A task in FUTEX_WAIT on a word, named by AddressSpace::futex_key (syscalls_futex.cc).
struct FutexWaiter {
  FutexWaiter* next;
  const void* object;
  uint64_t offset;
  uint32_t bitset;
  bool woken;
  WaitQueue queue;
};
// Wakes up to `count` tasks waiting on the word at `address` of `process` (in any process, for
// MAP_SHARED memory) with a bitset that meets `bitset`; how many.
int64_t futex_wake(Process& process, uint64_t address, uint32_t count, uint32_t bitset);

// readv and writev: `chunk` (one buffer's transfer) for each of the `iovcnt` iovecs at `iov`
// in turn. Every length is checked first (EINVAL if the total overflows a ssize_t); a short
// transfer ends it, and so does a stream (a file without an inode) with nothing more to read
// (what it had, not a second wait); what was done before an error is the result, else the error.
enum class IoDirection : uint8_t { kRead, kWrite };
using IoChunk = int64_t (*)(Task& task, File& file, uint64_t buffer, uint64_t length);
int64_t vectored_io(Task& task, File& file, uint64_t iov, uint64_t iovcnt, IoDirection direction,
                    IoChunk chunk);

// Waits until `file` (which answered kWouldBlock) may be tried again; 0, or -EINTR when a
// signal or the process's end interrupted the wait.
int64_t wait_for_file(Task& task, File& file, bool for_write);

// Services the handlers need from the shim around them (shim.cc; host tests give their own).
struct ShimServices {
  // Fills `buffer` with pseudo-random bytes (not cryptographic).
  void (*random)(uint8_t* buffer, size_t length);
  // Sets the task's TLS bases in the kernel.
  Status (*set_tls)(Task& task, uint64_t fs_base, uint64_t gs_base);
  // Waits (the shim's lock released meanwhile) until someone wakes `queue`: 0, or -EINTR if
  // the task was killed meanwhile.
  int64_t (*block)(Task& task, WaitQueue& queue);
  // Wakes every task waiting in `queue`.
  void (*wake_all)(WaitQueue& queue);
  // The task's user registers, and setting them (it resumes with them): signal frames.
  Status (*read_registers)(Task& task, abi::UserRegisters* out);
  Status (*write_registers)(Task& task, const abi::UserRegisters& in);
  // The task's FPU and SSE registers, and setting them (InvalidArgument for a state the CPU
  // cannot load): signal frames.
  Status (*read_fpu)(Task& task, abi::FpuState* out);
  Status (*write_fpu)(Task& task, const abi::FpuState& in);
  // The monotonic clock, ns since boot.
  uint64_t (*now)();
  // block() that also ends at `deadline` (now()'s ns): 0 when woken, -EINTR, or -ETIMEDOUT.
  int64_t (*block_until)(Task& task, WaitQueue& queue, uint64_t deadline);
  // block_until on several queues at once (poll, select); deadline 0: none.
  int64_t (*block_many)(Task& task, WaitQueue* const* queues, uint32_t count, uint64_t deadline);
  // The live process with the lowest pid >= `pid`, or nullptr: how /proc finds and lists
  // processes (linuxcompat/fs/procfs.cc).
  Process* (*process_from)(int32_t pid);
};
const ShimServices& shim_services();

}  // namespace hmk::lx
