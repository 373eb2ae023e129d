// Services linked into the kernel (isolation class IC0), as the core sees them.
//
// A profile that places services in the kernel links a kernel domain into the image (the
// generated table plus svc/kernel/domain.cc) and names it to the manifest with
// `kernel serves=a,b`. Init then creates an endpoint that no thread receives on but that the
// kernel answers itself: a `call` on it runs the service on the caller's thread, in the same
// kernel entry, and returns the reply in the caller's registers and IPC buffer. No context
// switch, no address-space switch; the price is that the service runs with the kernel's
// privileges (IC0). The kernel has one stack per CPU, so a service never blocks on it: a call
// it cannot answer yet is *saved* (kernel_service_save_reply) and answered later
// (kernel_service_resume), from another call, a deadline or the service's own choice; the
// caller waits meanwhile in kBlockedOnKernel ("Saved replies" below).
//
// The core knows no service and no message format beyond words: the domain gets the label, the
// words, the caller's badge and the capabilities the caller sent (as children installed in the
// domain's own space's table, below), and fills in the reply's label and words.
#pragma once

#include <stdint.h>

#include "core/abi/bootinfo.h"
#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "core/thread.h"

namespace hmk {

class Thread;
class Endpoint;

// One call as the kernel domain sees it.
struct KernelCall {
  uint32_t slot;   // in: which service of the domain (see KernelDomain::find)
  uint32_t label;  // in: the request's label; out: the reply's
  uint32_t words;  // in: request words; out: reply words (at most abi::kMaxMessageWords)
  uint32_t caps;   // in: the capabilities received, in cap_handles; out: ignored (see below)
  uint64_t badge;  // in: the badge of the caller's capability
  // in: the received capabilities' handles in the domain space's table (kernel_domain_space()),
  // in the order of the caller's send_caps: children of the caller's, with their rights and
  // badge, as an IPC receiver gets them. From then on they are the domain's: it keeps or
  // deletes them (kernel_domain_syscall, cap_delete). A reply carries no capabilities: the
  // kernel ignores `caps` and `cap_handles` there, and what the domain names in them stays in
  // its table.
  uint64_t cap_handles[abi::kMaxMessageCaps];
  uint64_t data[abi::kMaxMessageWords];
};

// The number and arguments of a system call offered to KernelDomain::quick_syscall.
inline constexpr uint32_t kQuickSyscallWords = 7;
// KernelDomain::quick_numbers's size: numbers below 64 * kQuickBitmapWords can be offered.
inline constexpr uint32_t kQuickBitmapWords = 8;

struct KernelDomain {
  // Starts the services (once, when the manifest's kernel line is read); kOk or why not.
  Status (*start)();
  // The slot of the service called `name`, or -1 if the image has no such service.
  int32_t (*find)(const char* name);
  // Handles one call; cannot fail (errors are reply labels). It may save the reply instead
  // (kernel_service_save_reply), and then what it leaves in `call` is ignored.
  void (*call)(KernelCall& call);
  // A saved reply's caller is gone (its thread killed or its process ended) before the reply:
  // forget `token`, which is already invalid. It may be called from inside `call` (when that
  // call ends the process of a waiting thread) and must not resume or save replies; it may
  // uncharge. nullptr for a domain that never saves replies.
  void (*cancel)(uint64_t token);
  // A saved reply's deadline (kernel_service_set_deadline) has come: the domain answers it
  // (kernel_service_resume) or sets a new deadline; if it does neither, the caller waits on
  // with no deadline. Runs outside any call (kernel_service_charge fails). nullptr for a domain
  // that never sets deadlines.
  void (*expire)(uint64_t token);
  // Frames the domain keeps for good once it has started (a heap that never gives its frames
  // back), which init's leak check at the end of a boot counts apart instead of as a leak.
  // nullptr: none.
  uint64_t (*frames_kept)();
  // A foreign thread's system call (core/foreign.h) to a kernel-served handler, offered to the
  // domain before the general path (kernel_service_foreign_call) is taken: `call` points at
  // its number and six arguments (kQuickSyscallWords words; not the pc and stack pointer
  // the general path adds), `badge` and `slot` are the handler capability's. The domain
  // answers it by returning true with `*result` for the thread's result register (as a
  // kForeignResume answer with that word 0): only for a call that needs nothing of the general
  // path, that is one that does not wait (kernel_service_save_reply fails here), does not read
  // or write the thread's registers and charges nothing (kernel_service_charge fails too). It
  // may answer saved calls meanwhile (kernel_service_resume), as between any two calls; should
  // that end the caller's own thread, the kernel goes on as for a call that ended it. false:
  // the domain changed nothing, and the call goes the general way. The thread's frame is not saved
  // meanwhile and no message is built: the cheapest way from a foreign thread's system call to a
  // kernel service and back. nullptr: nothing is offered.
  bool (*quick_syscall)(uint32_t slot, uint64_t badge, const uint64_t* call, uint64_t* result);
  // The system call numbers quick_syscall may answer, as a bitmap of kQuickBitmapWords words
  // (number n: bit n % 64 of word n / 64): only those are offered, so that every other call
  // pays one bit test for the quick way. nullptr (or quick_syscall nullptr): nothing is
  // offered.
  const uint64_t* quick_numbers;
  // The boot is ending (init's last step, before its leak check): the services give back what
  // they hold for clients that have ended (a file system in the kernel, the files it keeps
  // for them), so that what is still held after it is a leak. nullptr: nothing to give back.
  void (*stop)();
};

// Memory a kernel service takes for a client is charged to that client, as the same service in
// a process of its own would charge its own account: so no client can make the kernel hold
// more than its quota allows. While the domain handles a call, kernel_service_charge charges
// `bytes` to the caller's account and returns it (with a reference, Quota::charge_external);
// outside a call, or past the caller's limit, it fails (kQuotaExceeded). The service gives the
// charge back with kernel_service_uncharge(account, bytes), whoever calls then.
class Quota;
Result<Quota*> kernel_service_charge(uint64_t bytes);
void kernel_service_uncharge(Quota* account, uint64_t bytes);

// The image's kernel domain, or nullptr if its profile placed no service in the kernel. The
// generated kernel table defines hmk_kernel_domain(); images without one leave it undefined.
const KernelDomain* kernel_domain();

// Binds the badge index `index` of a kernel-served endpoint to the domain's `slot` (init, for
// each name of the kernel line's serves=). Indexes are below abi-wide kMaxServices (32).
void bind_kernel_service(uint16_t index, uint32_t slot);

// While the domain handles a call: if the call is answered at once, its caller then goes to
// the back of its priority's run queue, behind the other ready threads, as `yield` puts a
// thread (Linux's sched_yield). kInvalidArgument outside a call.
Status kernel_service_yield_caller();

// ---- Saved replies: blocking inside IC0 services ----
//
// While the domain handles a call it may save the caller's reply instead of answering:
// kernel_service_save_reply returns a token that names the waiting caller. The caller's thread
// then waits in ThreadState::kBlockedOnKernel (in no queue; it still runs nothing) until
//   - kernel_service_resume(token, reply): the reply is written to its registers and IPC
//     buffer as an immediate answer would be, and it becomes runnable (a foreign thread's call
//     to its handler ends then, core/foreign.h). The domain may do this while it handles any
//     later call, from its `expire`, or inside the very call that saved it (then the reply is
//     an immediate answer after all);
//   - its thread is killed or its process ends: the domain's `cancel` hears of the token.
// A token is good for one resume: afterwards, after a cancel, or if it never was one,
// kernel_service_resume and kernel_service_set_deadline return kNotFound. Tokens are not
// reused for a long time (a generation count in each of kMaxSavedReplies slots), so a domain
// that keeps a stale token cannot answer somebody else's call with it.
inline constexpr uint32_t kMaxSavedReplies = 1024;

// The slot a token names (below kMaxSavedReplies): no two tokens waiting at once share one, so a
// domain can keep what belongs to each waiting call in an array indexed by it.
inline uint32_t saved_reply_slot(uint64_t token) {
  return static_cast<uint32_t>(token & 0xffff'ffff) % kMaxSavedReplies;
}

// Saves the reply of the call the domain is handling. kInvalidArgument outside a call, or if
// this call's reply is already saved; kOutOfMemory when kMaxSavedReplies callers already
// wait; kUnsupported for a domain without `cancel`.
Result<uint64_t> kernel_service_save_reply();
// Answers a saved call with `reply`'s label and words (slot, caps and badge ignored). A reply
// longer than the registers for a caller without a mapped IPC buffer fails its call with
// kBufferTooSmall instead, as for an immediate answer; the token is used up either way.
Status kernel_service_resume(uint64_t token, const KernelCall& reply);
// At monotonic time `deadline` (core/clock.h; 0: none) the domain's `expire` gets the token.
// kUnsupported for a domain without `expire`.
Status kernel_service_set_deadline(uint64_t token, uint64_t deadline);
// For the kernel: the timer tick runs the expired deadlines; the idle loop asks whether one is
// still to come; detaching a kBlockedOnKernel thread (kill, process end) cancels its reply.
void expire_saved_replies(uint64_t now);
bool saved_reply_deadline_pending();
void cancel_saved_reply(Thread* waiter);
// For the invariant checker: the waiter of slot `slot` (nullptr if free) and the number of
// slots in use.
Thread* saved_reply_waiter(uint32_t slot);
uint32_t saved_reply_count();

// ---- The domain's own capabilities: kernel calls made by the domain ----
//
// The domain holds capabilities as a process does, in a space of its own ("kernel") that init
// makes with the kernel line (what the line grants: ioports=, initrd=yes, quota=; and a Send
// capability to the kernel-served endpoint), with a thread in it that never runs: the proxy.
// kernel_domain_syscall makes system call `number` with `args` (rdi, rsi, rdx, r10, r8, r9) as
// that thread would: the same decoding, capability lookups, rights and quota checks as for a
// process, and the results a process would find in rax, rdi and rsi. The addresses it passes
// are the domain's own (kernel) addresses (Space::kernel_addressed). A long operation's
// restarted steps run to the end before it returns. Refused with kUnsupported: the calls that
// wait or act on the calling thread itself (call, reply_recv, send, recv, reply, wait, yield,
// thread_exit, thread_set_ipc_buffer, process_exit, debug_print), numbers past the table, and
// any call while no domain space is set.
struct DomainSyscallResult {
  Status status;
  uint64_t value0;  // rdi
  uint64_t value1;  // rsi
};
DomainSyscallResult kernel_domain_syscall(uint64_t number, const uint64_t (&args)[6]);
// A page of a memory object the domain holds (`memory`: a handle in its space with Read, and
// Write too for `write`), as a kernel address through the direct map: how a domain reads and
// writes the memory of the processes it serves, whichever address space is loaded. The page
// gets its frame now if it had none (a lazy object), and for `write` a frame of the object's
// own first (a frame shared copy-on-write is copied, as a write fault would copy it, and every
// mapping follows). The address stays good until the object's frames change: the next
// copy-on-write break of that page or the object's end. kInvalidCapability, kPermissionDenied
// for a missing right, kInvalidArgument for an object still being made, kOutOfRange for a page
// past its end, kOutOfMemory if no frame is free, kUnsupported without a domain space.
Result<uint8_t*> kernel_domain_memory_page(uint64_t memory, uint64_t page, bool write);
// Init: makes `space` (which init keeps a reference to, as to its other spaces) the domain's,
// marked kernel-addressed, and creates the proxy in it with a capability to it in its table,
// charged to its quota. kBusy if the domain has a space already.
Status set_kernel_domain_space(Space& space);
Space* kernel_domain_space();
// The domain's bootstrap table (core/bootstrap.h: what the kernel line gave its space, by name
// and kind, with the handles), read-only through the direct map; nullptr without a domain
// space or table.
const abi::BootInfo* kernel_domain_boot_info();
// Init, at its end: the domain's space ends (with the proxy and every process the domain
// made in it); kernel_domain_syscall is kUnsupported from then on.
void end_kernel_domain_space();

// A call or send (sys_call, sys_send) on an endpoint the kernel serves: `self` calls it with
// the badge `badge`. The capabilities the caller names in its IPC buffer's send_caps go to the
// domain as children in the domain space's table (KernelCall::cap_handles), as commit_transfer
// (core/ipc.cc) installs them for an IPC receiver: same rights, same badge, charged to the
// domain space's quota; the caller's own stay as they were. The reply is in `self`'s registers
// (and IPC buffer beyond kRegisterWords) when this returns kOk; it carries no capabilities.
// Errors, after the checks every send makes (tag, handle, rights: e.g. more words than the
// registers, or any capability, with no IPC buffer set is kInvalidArgument, and capabilities
// without the Grant right kPermissionDenied), in this order: an image without a kernel domain
// or a plain send (not call) is kUnsupported; an unbound badge index is kNotFound; a message
// longer than the registers or with capabilities whose IPC buffer is set but not mapped
// writable is kBadAddress; a send_caps handle that names no capability of the caller is
// kInvalidCapability; capabilities while there is no domain space (before init read the kernel
// line, or after its end) are kUnsupported; no room for them in the domain space's table (its
// quota, or the table at its largest) is kBufferTooSmall, as an IPC receiver without room
// answers. None of these calls the domain or installs anything: every check comes before the
// first capability is installed. A reply longer than the registers without a mapped IPC buffer
// is kBufferTooSmall too (possible only for a call without capabilities): the domain ran, but
// nothing was written back.
Status kernel_service_call(Thread* self, uint64_t badge, Reply reply);

// `self`'s system call (a foreign thread whose handler is kernel-served) offered to the
// domain's quick way (KernelDomain::quick_syscall), straight from its registers: true if the
// domain answered it (the result is in the thread's result register, nothing else of it
// changed); false if the domain has no quick way or declined, or the handler capability is not
// a bound kernel-served endpoint with Send (the general path then finds out why).
bool kernel_service_quick_syscall(Thread* self);

// A foreign thread's system call or fault (core/foreign.h) whose handler is a kernel-served
// endpoint, badged `badge`: the domain gets the call (`label`, `words[0..count)`, count at
// most abi::kRegisterWords) as kernel_service_call would give it, but straight from the
// caller's words, without the message going through the thread's registers. The thread is a
// foreign caller while the domain runs (its frame saved: what the domain reads and writes of
// its registers is what it resumes with). On kOk `answer` says what happened:
//   - answered: the thread's frame is back in place, and the domain's reply (label, word
//     count, word 0) is for the caller to apply as finish_foreign_call would;
//   - not answered: the domain saved the reply (the thread waits in kBlockedOnKernel as a
//     foreign caller; the resume reaches it as through the IPC path), or the call ended the
//     thread's own process.
// kNotFound for an unbound badge index, kInvalidArgument for more words than the registers,
// kUnsupported without a kernel domain; the domain is not called then.
struct ForeignAnswer {
  bool answered = false;
  uint32_t label = 0;
  uint32_t words = 0;
  uint64_t word0 = 0;
};
Status kernel_service_foreign_call(Thread* self, uint64_t badge, ForeignCall kind, uint32_t label,
                                   const uint64_t* words, uint32_t count, ForeignAnswer* answer);

}  // namespace hmk
