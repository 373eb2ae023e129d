// The IPC fast paths. Each is a list of guards, every one of which sends the call to the slow
// path untouched, then a commit that cannot fail. The slow path (core/ipc.cc) gives the same
// result for every message that passes the guards; the native test IPC-0020 and the host
// tests check that register by register. The port calls the two entry points at the end
// (declared in core/kernel.h) from its system-call stub.
#include "core/arch.h"
#include "core/endpoint.h"
#include "core/kernel.h"
#include "core/scheduler.h"
#include "core/space.h"

#define unlikely(x) __builtin_expect(!!(x), 0)

namespace hmk {
namespace {

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

[[gnu::always_inline]] inline arch::UserContext* fastpath_reply_recv(Thread* self) {
  uint64_t* r = self->regs();
  const uint64_t tag = r[kSysTag];
  Thread* caller = self->caller();
  if (unlikely(caller == nullptr || !register_only(tag))) return nullptr;
  // A foreign thread resumes through the slow path, which applies the reply (core/foreign.h).
  if (unlikely(caller->foreign_call() != ForeignCall::kNone)) return nullptr;
  Capability* cap = self->space().caps().lookup(r[kSysHandle]);
  if (unlikely(cap == nullptr || cap->type != ObjectType::kEndpoint)) return nullptr;
  if (unlikely((cap->rights & abi::kRightReceive) == 0)) return nullptr;
  auto* ep = static_cast<Endpoint*>(cap->object);
  if (unlikely(ep->kind() == Endpoint::QueueKind::kSenders)) return nullptr;  // take it slowly
  if (unlikely(static_cast<int>(caller->priority()) < scheduler().highest_ready())) return nullptr;

  // POINT OF NO RETURN: the server waits for the next message, the caller runs with the reply.
  self->release_caller();
  self->block_on_receive(*ep);
  copy_message(r, caller->regs(), tag, /*badge=*/0);
  return switch_to(caller);
}

}  // namespace
}  // namespace hmk

extern "C" hmk::arch::UserContext* hmk_fastpath_call() {
  return hmk::fastpath_call(hmk::scheduler().current());
}

extern "C" hmk::arch::UserContext* hmk_fastpath_reply_recv() {
  return hmk::fastpath_reply_recv(hmk::scheduler().current());
}
