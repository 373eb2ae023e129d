// The shim's per-process Linux state: processes (address space, open files, signal
// dispositions, limits, break) and their tasks (Linux threads: a kernel thread each, with TLS,
// the signal mask and the thread-id words).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "linuxcompat/address_space.h"
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

// An open file description: what an fd refers to. Reference-counted (dup, fork share one).
class File {
 public:
  virtual ~File() = default;
  // Each returns a count or -errno. The buffers are the shim's (copied from or to the process).
  virtual int64_t read(uint8_t* buffer, uint64_t length) = 0;
  virtual int64_t write(const uint8_t* data, uint64_t length) = 0;
  virtual int64_t ioctl(Task& task, uint64_t request, uint64_t argument);
  virtual bool readable() const = 0;
  virtual bool writable() const = 0;
  // A file that can make a reader or writer wait (a pipe) returns kWouldBlock from read or
  // write instead, and says here which queue to wait in before trying again.
  virtual WaitQueue* wait_queue(bool for_write);

  void acquire() { ++refs_; }
  void release() {
    if (--refs_ == 0) delete this;
  }

 private:
  uint32_t refs_ = 1;
};

// The descriptor table.
class FdTable {
 public:
  static constexpr int32_t kMaxFds = 256;
  ~FdTable();
  File* get(int32_t fd) const { return fd >= 0 && fd < kMaxFds ? files_[fd] : nullptr; }
  // Installs `file` (taking the caller's reference) at `fd`, closing what was there.
  void install(int32_t fd, File* file);
  // The lowest free descriptor, or -EMFILE.
  int32_t lowest_free() const;
  // A fork's child: the same open file descriptions.
  void copy_from(const FdTable& parent);
  void close_all();

 private:
  File* files_[kMaxFds] = {};
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
  AddressSpace mm;
  FdTable fds;
  uint64_t brk_base = 0;  // where the heap starts (the page after the program)
  uint64_t brk = 0;       // the current break; mapped up to align_up(brk)
  uint32_t umask = 022;
  KernelSigaction actions[kSignalCount] = {};
  Rlimit limits[kRlimitCount] = {};
  char exe[256] = {};
};

class Task {
 public:
  Task(Process& process, int32_t tid, abi::Handle thread)
      : process(process), tid(tid), thread(thread) {}

  Process& process;
  const int32_t tid;
  const abi::Handle thread;  // the shim's capability to the kernel thread
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
  bool in_call = false;             // a shim thread is handling a call of this task
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
  // The monotonic clock, ns since boot.
  uint64_t (*now)();
  // block() that also ends at `deadline` (now()'s ns): 0 when woken, -EINTR, or -ETIMEDOUT.
  int64_t (*block_until)(Task& task, WaitQueue& queue, uint64_t deadline);
};
const ShimServices& shim_services();

}  // namespace hmk::lx
