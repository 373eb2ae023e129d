// Threads: a saved user context, a priority, and the state of whatever the thread waits for.
#pragma once

#include <stdint.h>

#include "core/arch.h"
#include "core/list.h"
#include "core/object.h"

namespace hmk {

class Space;
class MemoryObject;
class Endpoint;
class Notification;
class Scheduler;
struct Capability;

enum class ThreadState : uint8_t {
  kInactive,               // created, not started
  kReady,                  // in a run queue
  kRunning,                // the current thread (in no queue)
  kBlockedOnSend,          // in an endpoint's queue with a message (send or call)
  kBlockedOnReceive,       // in an endpoint's queue, waiting for a message
  kBlockedOnReply,         // called; waiting for the server that took the call to reply
  kBlockedOnKernel,        // called a kernel (IC0) service, which saved its reply for later
  kBlockedOnNotification,  // in a notification's waiter queue
  kDead,                   // exited or killed; waits only for its last reference
};
const char* thread_state_name(ThreadState state);

// Whether a sender then waits for a reply (call) or not (send).
enum class Reply : uint8_t { kWait, kNone };
// Whether a message may carry capabilities (the endpoint capability has Grant).
enum class Grant : uint8_t { kYes, kNo };
// What a thread of a foreign process is asking its handler (core/foreign.h).
enum class ForeignCall : uint8_t { kNone, kSyscall, kFault };

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

  // ---- what it waits for and who it talks to (the transitions below change these) ----
  KernelObject* blocked_on() const { return blocked_on_; }  // Endpoint or Notification
  Thread* caller() const { return caller_; }           // blocked on our reply (we took its call)
  Thread* replier() const { return replier_; }         // kBlockedOnReply: we are its caller
  uint64_t send_badge() const { return send_badge_; }  // kBlockedOnSend: the capability's
  Capability* send_cap() const { return send_cap_; }   // kBlockedOnSend: the one used
  // kBlockedOnReceive: the one used (left over, and meaningless, in any other state).
  Capability* recv_cap() const { return recv_cap_; }
  Reply send_reply() const { return send_reply_; }     // kBlockedOnSend: a call or a send
  Grant send_grant() const { return send_grant_; }     // kBlockedOnSend
  uint64_t ipc_buffer() const { return ipc_buffer_; }  // user address, 0 for none
  MemoryObject* pending_memory() const { return pending_memory_; }
  uint32_t slice_left() const { return slice_left_; }  // timer ticks left in its time slice
  // kBlockedOnKernel: the saved-reply slot it waits in (core/kernel_service.h).
  uint32_t saved_reply_slot() const { return saved_reply_slot_; }

  // ---- transitions: the only writers of the state above; each keeps links and queues right --
  // Waits in `ep`'s queue of senders with a message sent through `cap` (whose deletion
  // cancels the send: Endpoint::cancel_waits_through).
  void block_on_send(Endpoint& ep, Capability& cap, Reply reply, Grant grant);
  // Waits in `ep`'s queue of receivers, through `cap` (whose deletion cancels the receive, as
  // for a send); core/endpoint.h: the fast path inlines it.
  void block_on_receive(Endpoint& ep, Capability& cap);
  // Waits in `n`'s queue of waiters.
  void block_on_notification(Notification& n);
  // A partner took it off `ep`'s queue of receivers (a message came for it), or of senders
  // (its message went); core/endpoint.h.
  void leave_queue(Endpoint& ep);
  void leave_send_queue(Endpoint& ep);
  // Waits for `server`, which took its call, to reply. The caller is running or has just left
  // a send queue, so it is blocked on nothing already.
  void block_on_reply(Thread& server) {
    state_ = ThreadState::kBlockedOnReply;
    replier_ = &server;
    server.caller_ = this;
  }
  // Waits for a kernel service to answer from saved-reply slot `slot`; it is running or has
  // just left a send queue, so it is blocked on nothing already (core/kernel_service.cc).
  void block_on_kernel(uint32_t slot) {
    state_ = ThreadState::kBlockedOnKernel;
    saved_reply_slot_ = slot;
  }
  // Takes the reply relation to its caller apart from the server's side and returns the caller
  // (still kBlockedOnReply, to be woken with the reply).
  Thread* release_caller() {
    Thread* caller = caller_;
    caller->replier_ = nullptr;
    caller_ = nullptr;
    return caller;
  }
  // Out of whatever it waits on or runs in, without waking it (core/ipc.cc).
  void detach();
  // Ended: never runs again; returns a memory_create cut short for the caller to release.
  MemoryObject* mark_dead() {
    state_ = ThreadState::kDead;
    MemoryObject* pending = pending_memory_;
    pending_memory_ = nullptr;
    return pending;
  }
  // A memory_create or memory_clone between its restarted steps parks its half-made object here
  // (holding the only reference); take_pending_memory hands it back.
  void park_pending_memory(MemoryObject* m) { pending_memory_ = m; }
  MemoryObject* take_pending_memory() {
    MemoryObject* m = pending_memory_;
    pending_memory_ = nullptr;
    return m;
  }
  void set_ipc_buffer(uint64_t address) { ipc_buffer_ = address; }

  // ---- a foreign system call or fault in progress (core/foreign.h) ----
  // While one is, the thread's registers hold its call to the handler (and then the reply);
  // user_frame() is what it will resume with.
  ForeignCall foreign_call() const { return foreign_call_; }
  // The handle, in its space's table, of the endpoint capability its system calls and faults
  // go to (thread_set_syscall_handler); 0 for a native thread.
  uint64_t syscall_handler() const { return syscall_handler_; }
  // `kernel_served`: the handler's endpoint is served by the kernel (IC0), which never changes
  // for an endpoint: the foreign fast path (a user-level handler's) need not look.
  void set_syscall_handler(uint64_t handle, bool kernel_served) {
    syscall_handler_ = handle;
    handler_kernel_served_ = kernel_served;
    arch::set_foreign_syscalls(context_, true);
  }
  bool handler_kernel_served() const { return handler_kernel_served_; }
  arch::TrapFrame& user_frame() {
    return foreign_call_ != ForeignCall::kNone ? foreign_frame_ : context_.frame;
  }
  void begin_foreign_call(ForeignCall kind) {
    foreign_frame_ = context_.frame;
    foreign_call_ = kind;
  }
  // Puts the saved registers back and returns what kind of call it was.
  ForeignCall end_foreign_call() {
    context_.frame = foreign_frame_;
    const ForeignCall kind = foreign_call_;
    foreign_call_ = ForeignCall::kNone;
    return kind;
  }

  // (The data members keep the order they had when they were public; clang and GCC lay them
  // out in declaration order across access sections.)
 private:
  ThreadState state_ = ThreadState::kInactive;
  uint8_t priority_;
  uint32_t slice_left_ = 0;

 public:
  // Intrusive list hooks, public so that the lists can name them: the run queue, an endpoint
  // queue or a notification's waiters (one at a time), and Space::threads_.
  ListNode queue_node;
  ListNode space_node;

 private:
  template <typename T>
  friend class Slab;
  friend class Scheduler;          // ready/running, the time slice and the priority
  friend struct ThreadTestAccess;  // tests that corrupt a thread on purpose (invariants_test)
  Thread(Quota& quota, uint64_t charged, Space& space, uint8_t priority);

  KernelObject* blocked_on_ = nullptr;
  Thread* caller_ = nullptr;
  Thread* replier_ = nullptr;
  uint64_t send_badge_ = 0;
  Capability* send_cap_ = nullptr;
  Capability* recv_cap_ = nullptr;
  Reply send_reply_ = Reply::kNone;
  Grant send_grant_ = Grant::kNo;
  uint64_t ipc_buffer_ = 0;
  uint32_t saved_reply_slot_ = 0;
  MemoryObject* pending_memory_ = nullptr;
  arch::UserContext context_;
  Space* space_;
  ForeignCall foreign_call_ = ForeignCall::kNone;
  uint64_t syscall_handler_ = 0;
  arch::TrapFrame foreign_frame_{};
  bool handler_kernel_served_ = false;
};

}  // namespace hmk
