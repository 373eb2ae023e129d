// Child processes running a position-independent blob (servers.h) in an address space of
// their own: the way tests and benchmarks get a second address space without an ELF loader.
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "svc/lib/alloc.h"
#include "svc/lib/layout.h"
#include "svc/lib/thread.h"

namespace hmk::rt {

struct ChildConfig {
  const void* code_begin = nullptr;  // the blob, entered at its first byte
  const void* code_end = nullptr;
  uint64_t quota_bytes = 256 * 1024;  // moves from this process to the child (space_create)
  uint32_t priority = abi::kDefaultPriority;
  IpcBufferMode ipc_buffer = IpcBufferMode::kSet;
};

// One child process with one thread. Layout of the child's address space:
//
//   kCodeAddress        the blob, copied into a fresh memory object, mapped R+X
//   kSharedAddress      one page, RW, also mapped in this process (shared()); the thread
//                       starts with rdi = kSharedAddress
//   kIpcBufferAddress   one page, RW, registered as the thread's IPC buffer (if kSet)
//   kStackBase..kStackTop  the stack, RW; rsp = kStackTop at start
//   kFreeAddress and up    never used by Child: room for a test's own mappings
//
// The memory objects are created (and charged) here, in the parent; only the child's page
// tables and objects the child makes itself count against its own quota. Destroying the Child
// deletes this process's capabilities to the thread, the space and the memory objects; whether
// a child thread that is still blocked then ends is the kernel's business, so servers are best
// asked to exit first (servers.h, ServerOp::kExit).
class Child {
 public:
  static constexpr uint64_t kCodeAddress = 0x10'0000;
  static constexpr uint64_t kSharedAddress = 0x20'0000;
  static constexpr uint64_t kIpcBufferAddress = 0x21'0000;
  static constexpr uint64_t kStackBase = 0x30'0000;
  static constexpr uint64_t kStackPages = 4;
  static constexpr uint64_t kStackTop = kStackBase + kStackPages * kPageSize;
  static constexpr uint64_t kFreeAddress = 0x100'0000;

  Child() = default;
  ~Child() { (void)destroy(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Makes the space, maps code, shared page, stack and IPC buffer, and creates the thread at
  // `config.priority`; the thread does not run until start(). On failure nothing is left.
  Status create(const ChildConfig& config);
  // Copies `handle` into the child's table with `rights`; returns the child's handle.
  Result<abi::Handle> give(abi::Handle handle, uint32_t rights);
  Status start();
  // Deletes everything create() made (the thread, the space, this process's mappings and the
  // memory objects). Safe to call twice and on a Child that was never created.
  Status destroy();

  bool created() const { return space_ != abi::kNullHandle; }
  abi::Handle space() const { return space_; }
  abi::Handle thread() const { return thread_; }
  // This process's view of the shared page.
  void* shared() const { return shared_.base; }
  // The IPC buffer address in the child's space, or 0 without one.
  uint64_t ipc_buffer_address() const { return ipc_memory_ != 0 ? kIpcBufferAddress : 0; }

 private:
  abi::Handle space_ = abi::kNullHandle;
  abi::Handle thread_ = abi::kNullHandle;
  Pages code_ = {};    // mapped here RW for the copy, in the child R+X
  Pages shared_ = {};  // mapped in both
  abi::Handle stack_memory_ = abi::kNullHandle;
  abi::Handle ipc_memory_ = abi::kNullHandle;
};

}  // namespace hmk::rt
