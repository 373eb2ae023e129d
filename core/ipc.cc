// The IPC slow paths. Every operation decodes and checks first and changes state only after
// its point of no return, so a failed operation leaves both parties as they were.
#include "core/ipc.h"

#include "core/kernel_service.h"
#include "core/lib/string.h"
#include "core/memory_object.h"
#include "core/quota.h"
#include "core/scheduler.h"
#include "core/space.h"
#include "core/syscall_table.h"

namespace hmk {
namespace {

using abi::MessageInfo;
using arch::kSysHandle;
using arch::kSysTag;
using arch::kSysWord0;

// Checks a message tag as the sender gave it.
Status check_tag(const Thread* self, MessageInfo tag) {
  if (tag.words() > abi::kMaxMessageWords || tag.caps() > abi::kMaxMessageCaps) {
    return Status::kInvalidArgument;
  }
  if ((tag.words() > abi::kRegisterWords || tag.caps() > 0) && self->ipc_buffer() == 0) {
    return Status::kInvalidArgument;
  }
  return Status::kOk;
}

// What a transfer will do, worked out before anything changes.
struct Transfer {
  MessageInfo tag;
  abi::IpcBuffer* from_buffer = nullptr;
  abi::IpcBuffer* to_buffer = nullptr;
  Capability* caps[abi::kMaxMessageCaps] = {};
};

// Decode: whether `from`'s message can go to `to`. kBufferTooSmall means the receiver cannot
// take it; any other error is the sender's.
Status plan_transfer(Thread* from, Thread* to, Grant grant, Transfer* plan) {
  plan->tag = MessageInfo{from->regs()[kSysTag]};
  const uint32_t words = plan->tag.words();
  const uint32_t caps = plan->tag.caps();
  TRY(check_tag(from, plan->tag));
  if (words > abi::kRegisterWords || caps > 0) {
    plan->from_buffer = ipc_buffer_of(from);
    if (plan->from_buffer == nullptr) return Status::kBadAddress;
  }
  if (caps > 0 && grant == Grant::kNo) return Status::kPermissionDenied;
  for (uint32_t i = 0; i < caps; ++i) {
    plan->caps[i] = from->space().caps().lookup(plan->from_buffer->send_caps[i]);
    if (plan->caps[i] == nullptr) return Status::kInvalidCapability;
  }
  if (words > abi::kRegisterWords || caps > 0) {
    plan->to_buffer = ipc_buffer_of(to);
    if (plan->to_buffer == nullptr) return Status::kBufferTooSmall;
  }
  if (caps > 0 && to->space().caps().ensure_free(caps, to->space().own_quota()) != Status::kOk) {
    return Status::kBufferTooSmall;
  }
  return Status::kOk;
}

// Commit: cannot fail once plan_transfer succeeded.
void commit_transfer(Thread* from, Thread* to, uint64_t badge, const Transfer& plan) {
  const uint64_t* src = from->regs();
  uint64_t* dst = to->regs();
  const uint32_t words = plan.tag.words();
  dst[kSysHandle] = badge;
  dst[kSysTag] = plan.tag.raw & ~MessageInfo::kNonBlocking;
  for (uint32_t i = 0; i < words && i < abi::kRegisterWords; ++i)
    dst[kSysWord0 + i] = src[kSysWord0 + i];
  if (words > abi::kRegisterWords) {
    mem_copy(&plan.to_buffer->words[abi::kRegisterWords],
             &plan.from_buffer->words[abi::kRegisterWords],
             (words - abi::kRegisterWords) * sizeof(uint64_t));
  }
  CapTable& table = to->space().caps();
  for (uint32_t i = 0; i < plan.tag.caps(); ++i) {
    Capability* cap = plan.caps[i];
    plan.to_buffer->received_caps[i] = table.install_child(*cap, cap->rights, cap->badge);
  }
  to->set_status(Status::kOk);
}

}  // namespace

namespace {
// ipc_buffer_of's cold half: the buffer's page is not in the page tables (a lazy page never
// touched), or read-only while shared copy-on-write: fault it in as the thread's own write
// would.
[[gnu::noinline]] abi::IpcBuffer* ipc_buffer_faulted_in(Thread* t) {
  if (t->space().resolve_fault(t->ipc_buffer(), kPageWrite) != Status::kOk) return nullptr;
  Result<PhysAddr> phys =
      arch::translate_user(t->space().address_space(), t->ipc_buffer(), kPageWrite);
  return phys.ok() ? static_cast<abi::IpcBuffer*>(arch::phys_to_virt(*phys)) : nullptr;
}
}  // namespace

// thread_set_ipc_buffer guarantees the buffer lies within one page.
abi::IpcBuffer* ipc_buffer_of(Thread* t) {
  if (t->ipc_buffer() == 0) return nullptr;
  Result<PhysAddr> phys =
      arch::translate_user(t->space().address_space(), t->ipc_buffer(), kPageWrite);
  if (!phys.ok()) [[unlikely]] {
    return ipc_buffer_faulted_in(t);
  }
  return static_cast<abi::IpcBuffer*>(arch::phys_to_virt(*phys));
}

void make_runnable(Thread* t) {
  scheduler().make_ready(t);
}

void make_runnable_direct(Thread* t) {
  if (scheduler().should_switch_to(t)) {
    scheduler().make_ready_front(t);
  } else {
    scheduler().make_ready(t);
  }
}

void Thread::detach() {
  switch (state_) {
    case ThreadState::kReady:
      scheduler().remove(this);
      break;
    case ThreadState::kRunning:
      if (scheduler().current() == this) scheduler().set_current(nullptr);
      break;
    case ThreadState::kBlockedOnSend:
      leave_send_queue(*static_cast<Endpoint*>(blocked_on_));
      break;
    case ThreadState::kBlockedOnReceive:
      leave_queue(*static_cast<Endpoint*>(blocked_on_));
      break;
    case ThreadState::kBlockedOnNotification:
      ThreadQueue::remove(this);
      break;
    case ThreadState::kBlockedOnReply:
      if (replier_ != nullptr) replier_->caller_ = nullptr;
      replier_ = nullptr;
      break;
    case ThreadState::kBlockedOnKernel:
      cancel_saved_reply(this);  // the kernel service forgets the call
      break;
    case ThreadState::kInactive:
    case ThreadState::kDead:
      break;
  }
  blocked_on_ = nullptr;
}

void Thread::block_on_send(Endpoint& ep, Capability& cap, Reply reply, Grant grant) {
  state_ = ThreadState::kBlockedOnSend;
  blocked_on_ = &ep;
  send_badge_ = cap.badge;
  send_cap_ = &cap;
  send_reply_ = reply;
  send_grant_ = grant;
  ep.enqueue(this, Endpoint::QueueKind::kSenders);
}

void Thread::block_on_notification(Notification& n) {
  state_ = ThreadState::kBlockedOnNotification;
  blocked_on_ = &n;
  n.waiters().push_back(this);
}

void wake_with_status(Thread* t, Status status) {
  t->detach();
  t->set_status(status);
  make_runnable(t);
}

void kill_thread(Thread* t) {
  if (t->state() == ThreadState::kDead) return;
  const bool started = t->state() != ThreadState::kInactive;
  t->detach();
  if (t->caller() != nullptr) wake_with_status(t->caller(), Status::kPeerClosed);
  // A memory_create cut short: nobody will finish it.
  if (MemoryObject* pending = t->mark_dead(); pending != nullptr) pending->release();
  if (!started) return;
  Space& space = t->space();
  space.thread_died();
  t->release();  // the reference a started thread holds on itself
  if (space.alive() && space.live_threads() == 0) space.terminate(0);
}

namespace {

// call and send: `reply` says whether the sender then waits for a reply.
Status send(Thread* self, IpcArgs m, Reply reply) {
  const MessageInfo tag = m.tag;
  TRY(check_tag(self, tag));
  Capability* cap =
      TRY(self->space().caps().lookup(m.endpoint, ObjectType::kEndpoint, abi::kRightSend));
  const Grant grant = (cap->rights & abi::kRightGrant) != 0 ? Grant::kYes : Grant::kNo;
  if (tag.caps() > 0 && grant == Grant::kNo) return Status::kPermissionDenied;
  auto* ep = static_cast<Endpoint*>(cap->object);
  // Services linked into the kernel answer on the caller's thread (kernel_service.h).
  if (ep->kernel_served()) return kernel_service_call(self, cap->badge, reply);

  // A receiver queue is never empty (Endpoint::dequeue resets the kind).
  Thread* receiver = ep->kind() == Endpoint::QueueKind::kReceivers ? ep->queue().front() : nullptr;
  if (receiver != nullptr) {
    Transfer plan;
    TRY(plan_transfer(self, receiver, grant, &plan));
    // POINT OF NO RETURN
    receiver->leave_queue(*ep);
    commit_transfer(self, receiver, cap->badge, plan);
    if (reply == Reply::kWait) {
      self->block_on_reply(*receiver);
      make_runnable_direct(receiver);
    } else {
      make_runnable(receiver);
    }
    return Status::kOk;
  }
  if (tag.non_blocking()) return Status::kWouldBlock;
  self->block_on_send(*ep, *cap, reply, grant);
  return Status::kOk;
}

Status receive(Thread* self, IpcArgs m) {
  const MessageInfo tag = m.tag;
  Capability* cap =
      TRY(self->space().caps().lookup(m.endpoint, ObjectType::kEndpoint, abi::kRightReceive));
  auto* ep = static_cast<Endpoint*>(cap->object);
  // A server that receives again without replying abandons its caller.
  if (self->caller() != nullptr) wake_with_status(self->caller(), Status::kPeerClosed);

  // Senders the receiver cannot take a message from fail and leave; the next one is tried.
  // Bounded by the queue length.
  // bound: each round takes the front sender off the queue: the queue's length
  for (;;) {
    Thread* sender = ep->kind() == Endpoint::QueueKind::kSenders ? ep->queue().front() : nullptr;
    if (sender == nullptr) break;
    Transfer plan;
    Status s = plan_transfer(sender, self, sender->send_grant(), &plan);
    if (s != Status::kOk) {
      wake_with_status(sender, s);
      continue;
    }
    // POINT OF NO RETURN
    const uint64_t badge = sender->send_badge();
    sender->leave_send_queue(*ep);
    commit_transfer(sender, self, badge, plan);
    if (sender->send_reply() == Reply::kWait) {
      sender->block_on_reply(*self);
    } else {
      sender->set_status(Status::kOk);
      make_runnable(sender);
    }
    return Status::kOk;
  }
  if (tag.non_blocking()) return Status::kWouldBlock;
  self->block_on_receive(*ep, *cap);
  return Status::kOk;
}

Status reply(Thread* self, Switch partner) {
  Thread* caller = self->caller();
  if (caller == nullptr) return Status::kNotFound;
  Transfer plan;
  Status s = plan_transfer(self, caller, Grant::kYes, &plan);
  if (s == Status::kBufferTooSmall) {
    // The caller cannot take the reply: its call fails, and so does the reply.
    wake_with_status(caller, s);
    return s;
  }
  TRY(s);
  // POINT OF NO RETURN
  caller->detach();  // unlinks caller and server
  commit_transfer(self, caller, /*badge=*/0, plan);
  if (partner == Switch::kDirect) {
    make_runnable_direct(caller);
  } else {
    make_runnable(caller);
  }
  return Status::kOk;
}

}  // namespace

Status sys_call(Thread* self, IpcArgs m) {
  return send(self, m, Reply::kWait);
}

Status sys_send(Thread* self, IpcArgs m) {
  return send(self, m, Reply::kNone);
}

Status sys_recv(Thread* self, IpcArgs m) {
  return receive(self, m);
}

Status sys_reply(Thread* self, IpcArgs) {
  return reply(self, Switch::kQueue);
}

Status sys_reply_recv(Thread* self, IpcArgs m) {
  if (self->caller() != nullptr) {
    Status s = reply(self, Switch::kDirect);
    // A malformed reply is the server's bug: report it instead of receiving.
    if (s != Status::kOk && s != Status::kBufferTooSmall) return s;
  }
  return receive(self, m);
}

Status sys_signal(Thread*, const SysSignal& a) {
  Capability& cap = a.notification;
  static_cast<Notification*>(cap.object)->signal(cap.badge != 0 ? cap.badge : 1);
  return Status::kOk;
}

namespace {

// wait and poll: the bits now, or (kYes and none set) block until a signal brings them.
Status take_bits(Thread* self, Capability& cap, Blocking blocking, uint64_t& bits) {
  auto* n = static_cast<Notification*>(cap.object);
  if (n->word() != 0 || blocking == Blocking::kNo) {
    bits = n->take();
    return Status::kOk;
  }
  self->block_on_notification(*n);
  return Status::kOk;
}

}  // namespace

Status sys_wait(Thread* self, const SysWait& a, SysWaitOut& out) {
  return take_bits(self, a.notification, Blocking::kYes, out.bits);
}

Status sys_poll(Thread* self, const SysPoll& a, SysPollOut& out) {
  return take_bits(self, a.notification, Blocking::kNo, out.bits);
}

}  // namespace hmk
