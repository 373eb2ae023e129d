// The IPC fast paths. Each is a list of guards, every one of which sends the call to the slow
// path untouched, then a commit that cannot fail. The slow path (core/ipc.cc) gives the same
// result for every message that passes the guards; the native test IPC-0020 and the host
// tests check that register by register. The port calls the two entry points at the end
// (declared in core/kernel.h) from its system-call stub.
#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/endpoint.h"
#include "core/kernel.h"
#include "core/scheduler.h"
#include "core/space.h"

#define unlikely(x) __builtin_expect(!!(x), 0)

namespace hmk {
namespace {

using abi::MessageInfo;
using arch::kSysHandle;
using arch::kSysNumber;
using arch::kSysTag;
using arch::kSysWord0;

// Tag bits that need the slow path: capabilities (8-10) and flags (16-23). The word count is
// bits 0-7 and must be at most kRegisterWords; the label (32-63) is free.
constexpr uint64_t kSlowTagBits = 0xffff'ff00u;

bool register_only(uint64_t tag) {
  return (tag & kSlowTagBits) == 0 && (tag & 0xff) <= abi::kRegisterWords;
}

// Copies the message registers the tag covers and marks success.
void copy_message(const uint64_t* from, uint64_t* to, uint64_t tag, uint64_t badge) {
  to[kSysNumber] = static_cast<uint64_t>(Status::kOk);
  to[kSysHandle] = badge;
  to[kSysTag] = tag;
  const uint64_t words = tag & 0xff;
  for (uint64_t i = 0; i < words; ++i)
    to[kSysWord0 + i] = from[kSysWord0 + i];
}

arch::UserContext* switch_to(Thread* next) {
  scheduler().set_current(next);
  return arch::activate(next->space().address_space(), next->context());
}

// The stub calls the two entry points below directly (no dispatch function between): each is
// one of these, inlined, on the current thread.

[[gnu::always_inline]] inline arch::UserContext* fastpath_call(Thread* self) {
  uint64_t* r = self->regs();
  const uint64_t tag = r[kSysTag];
  if (unlikely(!register_only(tag))) return nullptr;
  Capability* cap = self->space().caps().lookup(r[kSysHandle]);
  if (unlikely(cap == nullptr || cap->type != ObjectType::kEndpoint)) return nullptr;
  if (unlikely((cap->rights & abi::kRightSend) == 0)) return nullptr;
  auto* ep = static_cast<Endpoint*>(cap->object);
  if (unlikely(ep->kind() != Endpoint::QueueKind::kReceivers)) return nullptr;
  Thread* server = ep->queue().front();
  if (unlikely(static_cast<int>(server->priority()) < scheduler().highest_ready())) return nullptr;

  // POINT OF NO RETURN: the caller waits for the reply, the server runs with the message.
  server->leave_queue(*ep);
  self->block_on_reply(*server);
  copy_message(r, server->regs(), tag, cap->badge);
  return switch_to(server);
}

// A foreign thread's system call (core/foreign.h): the call forward_syscall makes, when the
// handler is a user-level thread waiting for it. The same guards as fastpath_call on the
// handler endpoint; the message is the registers.
[[gnu::always_inline]] inline arch::UserContext* fastpath_foreign_call(Thread* self) {
  // A kernel-served handler takes the call on the general foreign entry (kernel_service.h).
  if (self->handler_kernel_served()) return nullptr;
  Capability* cap = self->space().caps().lookup(self->syscall_handler());
  if (unlikely(cap == nullptr || cap->type != ObjectType::kEndpoint)) return nullptr;
  if (unlikely(!(cap->rights & abi::kRightSend))) return nullptr;
  auto* ep = static_cast<Endpoint*>(cap->object);
  if (unlikely(ep->kind() != Endpoint::QueueKind::kReceivers)) return nullptr;
  Thread* server = ep->queue().front();
  if (unlikely(scheduler().highest_ready() > static_cast<int>(server->priority()))) {
    return nullptr;  // a ready thread outranks the handler
  }

  // POINT OF NO RETURN: as forward_syscall, then as fastpath_call.
  const uint64_t tag = MessageInfo::make(abi::kForeignSyscallLabel, abi::kForeignSyscallWords).raw;
  self->begin_foreign_call(ForeignCall::kSyscall);
  uint64_t* r = self->regs();
  uint64_t* to = server->regs();
  to[kSysNumber] = static_cast<uint64_t>(Status::kOk);
  to[kSysHandle] = cap->badge;
  to[kSysTag] = tag;
  to[kSysWord0] = r[kSysNumber];
  for (uint32_t i = 0; i < 6; ++i)
    to[kSysWord0 + 1 + i] = r[arch::kSysArg0 + i];
  to[kSysWord0 + 7] = arch::user_pc(self->context());
  to[kSysWord0 + 8] = arch::user_sp(self->context());
  // The caller's own registers as the slow path leaves them (the call's handle, tag and words).
  r[kSysHandle] = self->syscall_handler();
  r[kSysTag] = tag;
  for (uint32_t i = 0; i < abi::kForeignSyscallWords; ++i)
    r[kSysWord0 + i] = to[kSysWord0 + i];
  server->leave_queue(*ep);
  self->block_on_reply(*server);
  return switch_to(server);
}

// fastpath_reply_recv for a foreign caller: only a kForeignResume with its result word is
// applied here (as finish_foreign_call would: the saved frame back, word 0 in the result
// register after a system call); any other answer takes the slow path. Out of line, so that
// the native path keeps its registers.
[[gnu::noinline]] arch::UserContext* fastpath_reply_foreign(Thread* self, Thread* caller,
                                                            uint64_t tag) {
  uint64_t* r = self->regs();
  if (unlikely(MessageInfo{tag}.label() != abi::kForeignResume || (tag & 0xff) == 0)) {
    return nullptr;
  }
  Capability* cap = self->space().caps().lookup(r[kSysHandle]);
  if (unlikely(cap == nullptr || cap->type != ObjectType::kEndpoint)) return nullptr;
  if (unlikely(!(cap->rights & abi::kRightReceive))) return nullptr;
  auto* ep = static_cast<Endpoint*>(cap->object);
  if (unlikely(ep->kind() == Endpoint::QueueKind::kSenders)) return nullptr;  // senders: slowly
  if (unlikely(static_cast<int>(caller->priority()) < scheduler().highest_ready())) return nullptr;

  // POINT OF NO RETURN: the server waits for the next message, the caller resumes.
  self->release_caller();
  self->block_on_receive(*ep, *cap);
  if (caller->end_foreign_call() == ForeignCall::kSyscall)
    caller->regs()[kSysNumber] = r[kSysWord0];
  return switch_to(caller);
}

[[gnu::always_inline]] inline arch::UserContext* fastpath_reply_recv(Thread* self) {
  uint64_t* r = self->regs();
  const uint64_t tag = r[kSysTag];
  Thread* caller = self->caller();
  if (unlikely(caller == nullptr || !register_only(tag))) return nullptr;
  if (unlikely(caller->foreign_call() != ForeignCall::kNone)) {
    return fastpath_reply_foreign(self, caller, tag);
  }
  Capability* cap = self->space().caps().lookup(r[kSysHandle]);
  if (unlikely(cap == nullptr || cap->type != ObjectType::kEndpoint)) return nullptr;
  if (unlikely((cap->rights & abi::kRightReceive) == 0)) return nullptr;
  auto* ep = static_cast<Endpoint*>(cap->object);
  if (unlikely(ep->kind() == Endpoint::QueueKind::kSenders)) return nullptr;  // take it slowly
  if (unlikely(static_cast<int>(caller->priority()) < scheduler().highest_ready())) return nullptr;

  // POINT OF NO RETURN: the server waits for the next message, the caller runs with the reply.
  self->release_caller();
  self->block_on_receive(*ep, *cap);
  copy_message(r, caller->regs(), tag, /*badge=*/0);
  return switch_to(caller);
}

}  // namespace
}  // namespace hmk

extern "C" hmk::arch::UserContext* hmk_fastpath_call() {
  return hmk::fastpath_call(hmk::scheduler().current());
}

extern "C" hmk::arch::UserContext* hmk_fastpath_foreign_call() {
  return hmk::fastpath_foreign_call(hmk::scheduler().current());
}

extern "C" hmk::arch::UserContext* hmk_fastpath_reply_recv() {
  return hmk::fastpath_reply_recv(hmk::scheduler().current());
}
