// Threads: a saved user context, a priority, and the state of whatever the thread waits for.
#pragma once

#include <stdint.h>

#include "core/arch.h"
#include "core/list.h"
#include "core/object.h"

namespace hmk {

class Space;
class MemoryObject;
struct Capability;

enum class ThreadState : uint8_t {
  kInactive,               // created, not started
  kReady,                  // in a run queue
  kRunning,                // the current thread (in no queue)
  kBlockedOnSend,          // in an endpoint's queue with a message (send or call)
  kBlockedOnReceive,       // in an endpoint's queue, waiting for a message
  kBlockedOnReply,         // called; waiting for the server that took the call to reply
  kBlockedOnNotification,  // in a notification's waiter queue
  kDead,                   // exited or killed; waits only for its last reference
};
const char* thread_state_name(ThreadState state);

class Thread final : public KernelObject {
 public:
  // A new inactive thread in `space` charged to `quota`, starting at `entry` with `stack` and
  // `arg` in the first argument register.
  static Result<Thread*> create(Quota& quota, Space& space, uint64_t entry, uint64_t stack,
                                uint64_t arg, uint8_t priority);
  void destroy();  // called by reap_objects once the last reference is gone

  arch::UserContext& context() { return context_; }
  uint64_t* regs() { return arch::syscall_registers(context_); }
  Space& space() const { return *space_; }
  ThreadState state() const { return state_; }
  uint8_t priority() const { return priority_; }
  bool blocked() const {
    return state_ >= ThreadState::kBlockedOnSend && state_ <= ThreadState::kBlockedOnNotification;
  }

  // The result of the system call this thread is in, for when it next runs.
  void set_status(Status s) {
    regs()[arch::kSysNumber] = static_cast<uint64_t>(static_cast<int64_t>(s));
  }

  // ---- scheduler and IPC state; kept public for the queues, the IPC code and the checker ----
  ThreadState state_ = ThreadState::kInactive;
  uint8_t priority_;
  uint32_t slice_left_ = 0;             // timer ticks left in the current time slice
  ListNode queue_node;                  // run queue, endpoint queue or notification waiters
  ListNode space_node;                  // Space::threads_
  KernelObject* blocked_on_ = nullptr;  // the Endpoint or Notification for the blocked states
  Thread* caller_ = nullptr;            // the thread blocked on our reply (we took its call)
  Thread* replier_ = nullptr;           // while kBlockedOnReply: the thread whose caller_ we are
  uint64_t ipc_badge_ = 0;              // while kBlockedOnSend: badge of the capability used
  Capability* ipc_cap_ = nullptr;       // while kBlockedOnSend: the capability used (its deletion
                                        // cancels the send: Endpoint::cancel_sends_through)
  bool ipc_is_call_ = false;            // while kBlockedOnSend: a call (wants a reply)
  bool ipc_can_grant_ = false;          // while kBlockedOnSend: may transfer capabilities
  uint64_t ipc_buffer_ = 0;             // user address of the IPC buffer, 0 for none
  MemoryObject* pending_memory_ = nullptr;  // a memory_create between restarted steps (holds a
                                            // reference; nothing else can reach the object)

 private:
  template <typename T>
  friend class Slab;
  Thread(Quota& quota, uint64_t charged, Space& space, uint8_t priority);

  arch::UserContext context_;
  Space* space_;
};

}  // namespace hmk
