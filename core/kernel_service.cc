// Calls into services linked into the kernel (kernel_service.h).
#include "core/kernel_service.h"

#include "core/endpoint.h"
#include "core/ipc.h"
#include "core/kmem.h"
#include "core/lib/string.h"
#include "core/memory_object.h"
#include "core/quota.h"
#include "core/scheduler.h"
#include "core/space.h"
#include "core/syscall.h"
#include "core/syscall_table.h"
#include "core/thread.h"

// Defined by the generated kernel table of a profile with IC0 services (svc/kernel/domain.h).
extern "C" const hmk::KernelDomain* hmk_kernel_domain() __attribute__((weak));

namespace hmk {
namespace {

using abi::MessageInfo;

constexpr uint32_t kMaxBound = 32;
constexpr uint32_t kUnbound = ~0u;

struct Bindings {
  uint32_t slot[kMaxBound];
  constexpr Bindings() : slot() {
    // bound: the kMaxBound slots of the array
    for (uint32_t& s : slot)
      s = kUnbound;
  }
};
Bindings g_bindings;

// The account of the thread whose call the kernel domain is handling, or null between calls.
Quota* g_caller_account = nullptr;

// The call the domain is handling (between calls: nullptr), and what became of its reply.
struct CurrentCall {
  Thread* caller = nullptr;
  uint32_t saved_slot = kMaxSavedReplies;  // the slot it was saved in, if it was
  bool answered = false;                   // saved, then resumed within the call: g_answer
  bool yield = false;                      // kernel_service_yield_caller
};
CurrentCall g_current;
KernelCall g_answer;  // (one call at a time: not on the small kernel stack)

// The saved replies. A token is (generation << 32) | slot; the generation of a slot grows each
// time it is taken, so a token names one saved call only (2^32 reuses of one slot apart).
struct SavedReply {
  Thread* waiter = nullptr;  // nullptr: the slot is free
  uint32_t generation = 0;
  uint64_t deadline = 0;  // monotonic ns, 0: none
};
SavedReply g_saved[kMaxSavedReplies];
uint32_t g_saved_count = 0;
uint32_t g_deadlines = 0;  // slots in use with a deadline

uint64_t token_of(uint32_t slot) {
  return (static_cast<uint64_t>(g_saved[slot].generation) << 32) | slot;
}

// The slot a token names while its call still waits, or kMaxSavedReplies.
uint32_t slot_of(uint64_t token) {
  const auto slot = static_cast<uint32_t>(token & 0xffff'ffff);
  if (slot >= kMaxSavedReplies || g_saved[slot].waiter == nullptr) return kMaxSavedReplies;
  if (g_saved[slot].generation != static_cast<uint32_t>(token >> 32)) return kMaxSavedReplies;
  return slot;
}

void free_slot(uint32_t slot) {
  if (g_saved[slot].deadline != 0) --g_deadlines;
  g_saved[slot].waiter = nullptr;
  g_saved[slot].deadline = 0;
  --g_saved_count;
}

// Writes a reply into the caller's registers (and IPC buffer beyond them). `buffer` is the
// caller's IPC buffer if already looked up. kBufferTooSmall (nothing written) if the reply is
// longer than the registers and the caller has no IPC buffer mapped.
[[gnu::always_inline]] inline Status write_reply(Thread* t, const KernelCall& reply,
                                                 abi::IpcBuffer* buffer) {
  const uint32_t words = reply.words <= abi::kMaxMessageWords ? reply.words : 0;
  if (words > abi::kRegisterWords && buffer == nullptr) buffer = ipc_buffer_of(t);
  if (words > abi::kRegisterWords && buffer == nullptr) return Status::kBufferTooSmall;
  uint64_t* r = t->regs();
  r[arch::kSysHandle] = 0;
  r[arch::kSysTag] = MessageInfo::make(reply.label, words).raw;
  for (uint32_t i = 0; i < words && i < abi::kRegisterWords; ++i)
    r[arch::kSysWord0 + i] = reply.data[i];
  if (words > abi::kRegisterWords) {
    mem_copy(&buffer->words[abi::kRegisterWords], &reply.data[abi::kRegisterWords],
             (words - abi::kRegisterWords) * sizeof(uint64_t));
  }
  return Status::kOk;
}

}  // namespace

Status kernel_service_yield_caller() {
  if (g_current.caller == nullptr) return Status::kInvalidArgument;
  g_current.yield = true;
  return Status::kOk;
}

Result<uint64_t> kernel_service_save_reply() {
  if (g_current.caller == nullptr || g_current.saved_slot != kMaxSavedReplies ||
      g_current.answered) {
    return Status::kInvalidArgument;
  }
  const KernelDomain* domain = kernel_domain();
  if (domain == nullptr || domain->cancel == nullptr) return Status::kUnsupported;
  if (g_saved_count == kMaxSavedReplies) return Status::kOutOfMemory;
  // The lowest free slot (one exists): a freed slot is taken again at once, under a new
  // generation.
  uint32_t slot = 0;
  // bound: at most kMaxSavedReplies slots, and one of them is free.
  while (slot < kMaxSavedReplies && g_saved[slot].waiter != nullptr)
    ++slot;
  SavedReply& saved = g_saved[slot];
  saved.waiter = g_current.caller;
  saved.generation += 1;
  saved.deadline = 0;
  ++g_saved_count;
  g_current.saved_slot = slot;  // the caller blocks when the domain returns
  return token_of(slot);
}

Status kernel_service_resume(uint64_t token, const KernelCall& reply) {
  const uint32_t slot = slot_of(token);
  if (slot == kMaxSavedReplies) return Status::kNotFound;
  Thread* t = g_saved[slot].waiter;
  free_slot(slot);
  if (slot == g_current.saved_slot) {
    // Answered within the call that saved it: an immediate answer after all.
    g_current.saved_slot = kMaxSavedReplies;
    g_current.answered = true;
    g_answer = reply;
    return Status::kOk;
  }
  const Status s = write_reply(t, reply, nullptr);
  t->set_status(s);
  make_runnable(t);
  return Status::kOk;
}

Status kernel_service_set_deadline(uint64_t token, uint64_t deadline) {
  const KernelDomain* domain = kernel_domain();
  if (domain == nullptr || domain->expire == nullptr) return Status::kUnsupported;
  const uint32_t slot = slot_of(token);
  if (slot == kMaxSavedReplies) return Status::kNotFound;
  SavedReply& saved = g_saved[slot];
  if (saved.deadline != 0) --g_deadlines;
  saved.deadline = deadline;
  if (deadline != 0) ++g_deadlines;
  return Status::kOk;
}

void expire_saved_replies(uint64_t now) {
  const KernelDomain* domain = kernel_domain();
  if (g_deadlines == 0 || domain == nullptr || domain->expire == nullptr) return;
  // Bounded: each slot is looked at once, whatever the domain's expire resumes or re-arms.
  for (uint32_t slot = 0; slot < kMaxSavedReplies; ++slot) {
    SavedReply& saved = g_saved[slot];
    if (saved.waiter == nullptr || saved.deadline == 0 || saved.deadline > now) continue;
    saved.deadline = 0;
    --g_deadlines;
    domain->expire(token_of(slot));
  }
}

bool saved_reply_deadline_pending() {
  return g_deadlines > 0;
}

void cancel_saved_reply(Thread* waiter) {
  const uint32_t slot = waiter->saved_reply_slot();
  if (slot >= kMaxSavedReplies || g_saved[slot].waiter != waiter) return;
  const uint64_t token = token_of(slot);
  free_slot(slot);
  const KernelDomain* domain = kernel_domain();
  if (domain != nullptr && domain->cancel != nullptr) domain->cancel(token);
}

Thread* saved_reply_waiter(uint32_t slot) {
  return slot < kMaxSavedReplies ? g_saved[slot].waiter : nullptr;
}

uint32_t saved_reply_count() {
  return g_saved_count;
}

Result<Quota*> kernel_service_charge(uint64_t bytes) {
  if (g_caller_account == nullptr) return Status::kQuotaExceeded;
  TRY(g_caller_account->charge_external(bytes));
  return g_caller_account;
}

void kernel_service_uncharge(Quota* account, uint64_t bytes) {
  account->uncharge_external(bytes);
}

const KernelDomain* kernel_domain() {
  return hmk_kernel_domain != nullptr ? hmk_kernel_domain() : nullptr;
}

void bind_kernel_service(uint16_t index, uint32_t slot) {
  if (index < kMaxBound) g_bindings.slot[index] = slot;
}

namespace {

// The domain's space (init holds it, as it holds its other spaces) and the proxy (its own
// capability table holds it, so the invariant checker's reference counts stay exact).
Space* g_domain_space = nullptr;
Thread* g_proxy = nullptr;

// The calls a thread that never runs cannot make: they wait, or act on the caller itself.
bool proxy_may_make(uint64_t number) {
  using abi::Syscall;
  switch (static_cast<Syscall>(number)) {
    case Syscall::kCall:
    case Syscall::kReplyRecv:
    case Syscall::kSend:
    case Syscall::kRecv:
    case Syscall::kReply:
    case Syscall::kWait:
    case Syscall::kYield:
    case Syscall::kThreadExit:
    case Syscall::kThreadSetIpcBuffer:
    case Syscall::kProcessExit:
    case Syscall::kDebugPrint:
      return false;
    default:
      return number < abi::kSyscallCount;
  }
}

}  // namespace

Status set_kernel_domain_space(Space& space) {
  if (g_domain_space != nullptr) return Status::kBusy;
  TRY(space.caps().ensure_free(1, space.own_quota()));
  Thread* proxy = TRY(Thread::create(space.own_quota(), space, 0, 0, 0, abi::kDefaultPriority));
  space.caps().install(space.caps().take_free(), proxy, abi::kRightsAll, 0, nullptr);
  proxy->release();  // the capability holds it
  space.set_kernel_addressed();
  g_domain_space = &space;
  g_proxy = proxy;
  return Status::kOk;
}

Space* kernel_domain_space() {
  return g_domain_space;
}

const abi::BootInfo* kernel_domain_boot_info() {
  if (g_domain_space == nullptr || !g_domain_space->alive()) return nullptr;
  Result<PhysAddr> phys =
      arch::translate_user(g_domain_space->address_space(), abi::kBootInfoAddress, kPageRead);
  if (!phys.ok()) return nullptr;
  return static_cast<const abi::BootInfo*>(arch::phys_to_virt(*phys));
}

void end_kernel_domain_space() {
  if (g_domain_space == nullptr) return;
  g_domain_space->terminate(0);
  g_proxy = nullptr;
  g_domain_space = nullptr;
}

DomainSyscallResult kernel_domain_syscall(uint64_t number, const uint64_t (&args)[6]) {
  if (g_proxy == nullptr || !g_domain_space->alive() || !proxy_may_make(number)) {
    return {Status::kUnsupported, 0, 0};
  }
  uint64_t* r = g_proxy->regs();
  for (uint32_t i = 0; i < 6; ++i)
    r[arch::kSysArg0 + i] = args[i];
  Status s = Status::kOk;
  // bound: a long operation's steps each make progress (memory_create, memory_clone, revoke).
  do {
    s = kSyscallTable[number](g_proxy);
  } while (s == kRestart);
  return {s, r[arch::kSysArg0], r[arch::kSysArg0 + 1]};
}

Result<uint8_t*> kernel_domain_memory_page(uint64_t memory, uint64_t page, bool write) {
  if (g_domain_space == nullptr || !g_domain_space->alive()) return Status::kUnsupported;
  const uint32_t rights = write ? abi::kRightRead | abi::kRightWrite : abi::kRightRead;
  Capability* cap = TRY(g_domain_space->caps().lookup(memory, ObjectType::kMemory, rights));
  auto* m = static_cast<MemoryObject*>(cap->object);
  if (!m->filled()) return Status::kInvalidArgument;
  if (page >= m->pages()) return Status::kOutOfRange;
  PhysAddr frame = TRY(m->touch(page));
  if (write && frame_holders(frame) > 1) {
    TRY(m->make_private(page));
    frame = m->frame(page);
  }
  return static_cast<uint8_t*>(arch::phys_to_virt(frame));
}

namespace {

// Runs the domain on `self`'s call, which it answers in place: the reply to give it now (the
// call's own, or a resume's within it), or nullptr when the reply was saved (the caller waits in
// kBlockedOnKernel, or, if the call ended its own caller, the token is cancelled at once).
const KernelCall* run_domain(const KernelDomain& domain, Thread* self, KernelCall& call) {
  g_caller_account = &self->space().own_quota();
  g_current = CurrentCall{self, kMaxSavedReplies, false, false};
  domain.call(call);
  const uint32_t saved = g_current.saved_slot;
  const bool answered = g_current.answered;
  const bool yield = g_current.yield;
  g_current = CurrentCall{};
  g_caller_account = nullptr;
  if (saved == kMaxSavedReplies) {
    // Answered now; a yield sends the caller behind the ready threads (its answer is written
    // all the same: the registers do not care whether it runs next).
    if (yield && scheduler().current() == self && self->state() == ThreadState::kRunning) {
      scheduler().yield();
    }
    return answered ? &g_answer : &call;
  }
  if (self->state() == ThreadState::kDead) {
    // The call ended its own caller (its process): nobody waits for the reply.
    const uint64_t token = token_of(saved);
    free_slot(saved);
    domain.cancel(token);
    return nullptr;
  }
  self->block_on_kernel(saved);  // kernel_service_resume answers, or a kill cancels
  return nullptr;
}

}  // namespace

Status kernel_service_call(Thread* self, uint64_t badge, Reply reply) {
  const KernelDomain* domain = kernel_domain();
  if (domain == nullptr || reply != Reply::kWait) return Status::kUnsupported;
  uint64_t* r = self->regs();
  const MessageInfo tag{r[arch::kSysTag]};
  // (send's check_tag refused these already, and capabilities without Grant.)
  if (tag.words() > abi::kMaxMessageWords || tag.caps() > abi::kMaxMessageCaps) {
    return Status::kInvalidArgument;
  }
  const uint64_t index = badge & 0xffff;
  if (index >= kMaxBound || g_bindings.slot[index] == kUnbound) return Status::kNotFound;
  // The IPC buffer only when words go beyond the registers or capabilities travel: a page-table
  // walk otherwise saved.
  const uint32_t caps = tag.caps();
  abi::IpcBuffer* buffer = nullptr;
  if (tag.words() > abi::kRegisterWords || caps > 0) {
    buffer = ipc_buffer_of(self);
    if (buffer == nullptr) return Status::kBadAddress;
  }
  // The capabilities, decoded as plan_transfer (core/ipc.cc) does for an IPC receiver: every
  // handle names a capability of the caller, and the domain's table has room for them all.
  Capability* sent[abi::kMaxMessageCaps] = {};
  Space* domain_space = nullptr;
  if (caps > 0) {
    for (uint32_t i = 0; i < caps; ++i) {
      sent[i] = self->space().caps().lookup(buffer->send_caps[i]);
      if (sent[i] == nullptr) return Status::kInvalidCapability;
    }
    domain_space = g_domain_space;
    if (domain_space == nullptr || !domain_space->alive()) return Status::kUnsupported;
    if (domain_space->caps().ensure_free(caps, domain_space->own_quota()) != Status::kOk) {
      return Status::kBufferTooSmall;  // as an IPC receiver without room answers
    }
  }

  // POINT OF NO RETURN
  KernelCall call;
  call.slot = g_bindings.slot[index];
  call.label = tag.label();
  call.words = tag.words();
  call.caps = caps;
  call.badge = badge;
  for (uint32_t i = 0; i < caps; ++i) {
    Capability& cap = *sent[i];  // a child as commit_transfer makes it: same rights and badge
    call.cap_handles[i] = domain_space->caps().install_child(cap, cap.rights, cap.badge);
  }
  for (uint32_t i = 0; i < call.words && i < abi::kRegisterWords; ++i)
    call.data[i] = r[arch::kSysWord0 + i];
  if (call.words > abi::kRegisterWords) {
    mem_copy(&call.data[abi::kRegisterWords], &buffer->words[abi::kRegisterWords],
             (call.words - abi::kRegisterWords) * sizeof(uint64_t));
  }
  const KernelCall* answer = run_domain(*domain, self, call);
  return answer != nullptr ? write_reply(self, *answer, buffer) : Status::kOk;
}

bool kernel_service_quick_syscall(Thread* self) {
  const KernelDomain* domain = kernel_domain();
  if (domain == nullptr || domain->quick_syscall == nullptr || domain->quick_numbers == nullptr) {
    return false;
  }
  uint64_t* r = self->regs();
  const uint64_t number = r[arch::kSysNumber];
  if (number >= 64 * kQuickBitmapWords) return false;
  if ((domain->quick_numbers[number / 64] & (uint64_t{1} << (number % 64))) == 0) return false;
  Capability* cap = self->space().caps().lookup(self->syscall_handler());
  if (cap == nullptr || cap->type != ObjectType::kEndpoint) return false;
  if ((cap->rights & abi::kRightSend) == 0) return false;
  if (!static_cast<Endpoint*>(cap->object)->kernel_served()) return false;
  const uint64_t index = cap->badge & 0xffff;
  if (index >= kMaxBound || g_bindings.slot[index] == kUnbound) return false;
  // The number and the arguments lie in this order in the register file (the system-call
  // register file's order, core/abi/syscall.h): the domain reads them in place.
  static_assert(arch::kSysArg0 == arch::kSysNumber + 1 && kQuickSyscallWords == 7);
  uint64_t result = 0;
  if (!domain->quick_syscall(g_bindings.slot[index], cap->badge, &r[arch::kSysNumber], &result)) {
    return false;
  }
  r[arch::kSysNumber] = result;  // as finish_foreign_call applies a kForeignResume
  return true;
}

Status kernel_service_foreign_call(Thread* self, uint64_t badge, ForeignCall kind, uint32_t label,
                                   const uint64_t* words, uint32_t count, ForeignAnswer* answer) {
  const KernelDomain* domain = kernel_domain();
  if (domain == nullptr) return Status::kUnsupported;
  const uint64_t index = badge & 0xffff;
  if (index >= kMaxBound || g_bindings.slot[index] == kUnbound) return Status::kNotFound;
  if (count > abi::kRegisterWords) return Status::kInvalidArgument;
  KernelCall call;
  call.slot = g_bindings.slot[index];
  call.label = label;
  call.words = count;
  call.caps = 0;
  call.badge = badge;
  for (uint32_t i = 0; i < count; ++i)
    call.data[i] = words[i];
  // A foreign caller while the domain handles the call: what it reads and writes of the
  // thread's registers (a signal frame, execve) is the frame it resumes with.
  self->begin_foreign_call(kind);
  const KernelCall* reply = run_domain(*domain, self, call);
  *answer = ForeignAnswer{};
  if (reply == nullptr || self->state() == ThreadState::kDead) return Status::kOk;
  (void)self->end_foreign_call();  // its frame back, as the domain left it
  answer->answered = true;
  answer->label = reply->label;
  answer->words = reply->words;
  answer->word0 = reply->words >= 1 ? reply->data[0] : 0;
  return Status::kOk;
}

}  // namespace hmk
