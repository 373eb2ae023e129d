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

 private:
  File* files_[kMaxFds] = {};
};

class Process {
 public:
  Process(int32_t pid, int32_t ppid, abi::Handle space, MemoryBackend& backend)
      : pid(pid), ppid(ppid), space(space), mm(backend) {}

  const int32_t pid;
  const int32_t ppid;
  const abi::Handle space;  // the shim's capability to the process's space
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
};

// Services the handlers need from the shim around them (shim.cc; host tests give their own).
struct ShimServices {
  // Fills `buffer` with pseudo-random bytes (not cryptographic).
  void (*random)(uint8_t* buffer, size_t length);
  // Sets the task's TLS bases in the kernel.
  Status (*set_tls)(Task& task, uint64_t fs_base, uint64_t gs_base);
};
const ShimServices& shim_services();

}  // namespace hmk::lx
