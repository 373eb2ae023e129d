// Typed wrappers for every native system call (core/abi/syscall.h), for user programs.
//
// Ordinary calls are inline `syscall` instructions: arguments in rdi, rsi, rdx, r10, r8, r9,
// the Status in rax, values in rdi and rsi. Calls that produce a value return Result<T>; the
// others return Status. The five IPC calls go through the out-of-line stub hmk_ipc (ipc.S),
// which moves a whole IpcRegisters in and out of the twelve message registers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"

// The IPC stub (svc/lib/ipc.S): loads `regs` into rdi, rsi and the ten word registers, runs
// system call `number`, stores all twelve registers back into `regs` (also on failure) and
// returns rax. Callee-saved registers survive as the C ABI requires.
extern "C" hmk::Status hmk_ipc(uint64_t number, hmk::abi::IpcRegisters* regs);

namespace hmk::rt {

// ipc.S hard-codes this layout.
static_assert(offsetof(abi::IpcRegisters, handle_or_badge) == 0x00);
static_assert(offsetof(abi::IpcRegisters, tag) == 0x08);
static_assert(offsetof(abi::IpcRegisters, words) == 0x10);
static_assert(sizeof(abi::IpcRegisters) == 0x60);

// ---- raw access ----

// What every ordinary system call gives back: rax, rdi and rsi after the instruction.
struct SyscallResult {
  Status status;
  uint64_t value0;  // rdi
  uint64_t value1;  // rsi
};

// Any system call by number with six arguments; also for numbers the ABI does not define.
// Every register the ABI says is preserved is still declared as possibly changed, so that a
// kernel bug there shows up as a wrong result in a test rather than as corrupted compiler state.
inline SyscallResult raw_syscall(uint64_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                                 uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
  register uint64_t r10 asm("r10") = a3;
  register uint64_t r8 asm("r8") = a4;
  register uint64_t r9 asm("r9") = a5;
  uint64_t rax = number;
  uint64_t rdi = a0;
  uint64_t rsi = a1;
  uint64_t rdx = a2;
  asm volatile("syscall"
               : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
               :
               : "rcx", "r11", "memory");
  return {static_cast<Status>(static_cast<int32_t>(rax)), rdi, rsi};
}

inline SyscallResult raw_syscall(abi::Syscall number, uint64_t a0 = 0, uint64_t a1 = 0,
                                 uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                                 uint64_t a5 = 0) {
  return raw_syscall(static_cast<uint64_t>(number), a0, a1, a2, a3, a4, a5);
}

// Kept for the early test programs: rax as returned, two arguments.
inline uint64_t raw_syscall2(abi::Syscall number, uint64_t a0, uint64_t a1) {
  uint64_t ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(static_cast<uint64_t>(number)), "D"(a0), "S"(a1)
               : "rcx", "r11", "memory");
  return ret;
}

namespace detail {

inline Status status_of(abi::Syscall number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                        uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
  return raw_syscall(number, a0, a1, a2, a3, a4, a5).status;
}

inline Result<abi::Handle> handle_of(abi::Syscall number, uint64_t a0 = 0, uint64_t a1 = 0,
                                     uint64_t a2 = 0, uint64_t a3 = 0) {
  const SyscallResult r = raw_syscall(number, a0, a1, a2, a3);
  if (r.status != Status::kOk) return r.status;
  return static_cast<abi::Handle>(r.value0);
}

inline Result<uint64_t> value_of(abi::Syscall number, uint64_t a0 = 0) {
  const SyscallResult r = raw_syscall(number, a0);
  if (r.status != Status::kOk) return r.status;
  return r.value0;
}

}  // namespace detail

// ---- IPC (through the stub) ----
//
// Each takes the whole register file: fill `regs.tag` and `regs.words`, the wrapper sets
// `regs.handle_or_badge`. On return `regs` holds the registers as the kernel left them: for
// the receiving calls the sender's badge in handle_or_badge, its tag and words 0..9; words
// 10.. and received capabilities are in the calling thread's IPC buffer (rt::ipc_buffer()).

inline Status call(abi::Handle endpoint, abi::IpcRegisters& regs) {
  regs.handle_or_badge = endpoint;
  return hmk_ipc(static_cast<uint64_t>(abi::Syscall::kCall), &regs);
}
inline Status reply_recv(abi::Handle endpoint, abi::IpcRegisters& regs) {
  regs.handle_or_badge = endpoint;
  return hmk_ipc(static_cast<uint64_t>(abi::Syscall::kReplyRecv), &regs);
}
inline Status send(abi::Handle endpoint, abi::IpcRegisters& regs) {
  regs.handle_or_badge = endpoint;
  return hmk_ipc(static_cast<uint64_t>(abi::Syscall::kSend), &regs);
}
inline Status recv(abi::Handle endpoint, abi::IpcRegisters& regs) {
  regs.handle_or_badge = endpoint;
  return hmk_ipc(static_cast<uint64_t>(abi::Syscall::kRecv), &regs);
}
// Replies to the calling thread's current caller; there is no endpoint (rdi is passed as 0).
inline Status reply(abi::IpcRegisters& regs) {
  regs.handle_or_badge = abi::kNullHandle;
  return hmk_ipc(static_cast<uint64_t>(abi::Syscall::kReply), &regs);
}

// ---- notifications ----

inline Status signal(abi::Handle notification) {
  return detail::status_of(abi::Syscall::kSignal, notification);
}
// Blocks until some bit is set; returns the bits and clears them.
inline Result<uint64_t> wait(abi::Handle notification) {
  return detail::value_of(abi::Syscall::kWait, notification);
}
// Returns the bits (possibly 0) and clears them, without blocking.
inline Result<uint64_t> poll(abi::Handle notification) {
  return detail::value_of(abi::Syscall::kPoll, notification);
}

// ---- threads and scheduling ----

inline Status yield() {
  return detail::status_of(abi::Syscall::kYield);
}
// The new thread is inactive until thread_start; it begins at `entry` with rsp = `stack` and
// rdi = `arg` (see rt::spawn_thread for a thread with a stack and a C++ entry function).
inline Result<abi::Handle> thread_create(abi::Handle space, uint64_t entry, uint64_t stack,
                                         uint64_t arg) {
  return detail::handle_of(abi::Syscall::kThreadCreate, space, entry, stack, arg);
}
inline Status thread_start(abi::Handle thread) {
  return detail::status_of(abi::Syscall::kThreadStart, thread);
}
[[noreturn]] inline void thread_exit() {
  raw_syscall(abi::Syscall::kThreadExit);
  __builtin_unreachable();
}
inline Status thread_set_priority(abi::Handle thread, uint64_t priority) {
  return detail::status_of(abi::Syscall::kThreadSetPriority, thread, priority);
}
// `address` is in the thread's own address space; the buffer must lie inside one page.
inline Status thread_set_ipc_buffer(abi::Handle thread, uint64_t address) {
  return detail::status_of(abi::Syscall::kThreadSetIpcBuffer, thread, address);
}
// The thread's FS and GS base (thread-local storage: %fs:0 reads the word at fs_base), each a
// user address below abi::kUserAddressEnd (else kBadAddress), 0 for none; in effect when the
// thread next runs, at once for the calling thread. User code has no other way to set them.
inline Status thread_set_tls(abi::Handle thread, uint64_t fs_base, uint64_t gs_base) {
  return detail::status_of(abi::Syscall::kThreadSetTls, thread, fs_base, gs_base);
}

// ---- address spaces and memory ----

inline Result<abi::Handle> space_create(uint64_t quota_bytes) {
  return detail::handle_of(abi::Syscall::kSpaceCreate, quota_bytes);
}
inline Result<abi::Handle> memory_create(uint64_t pages) {
  return detail::handle_of(abi::Syscall::kMemoryCreate, pages);
}
// Maps pages [first_page, first_page + pages) of `memory` at `vaddr` in `space`; `rights` is
// a subset of kRightRead | kRightWrite | kRightExecute (never W and X together, and W^X holds
// across mappings: kPermissionDenied for W while the object is mapped X anywhere, and for X
// while it is mapped W anywhere; protect likewise).
inline Status map(abi::Handle space, abi::Handle memory, uint64_t vaddr, uint64_t first_page,
                  uint64_t pages, uint32_t rights) {
  return detail::status_of(abi::Syscall::kMap, space, memory, vaddr, first_page, pages, rights);
}
inline Status unmap(abi::Handle space, uint64_t vaddr, uint64_t pages) {
  return detail::status_of(abi::Syscall::kUnmap, space, vaddr, pages);
}
inline Status protect(abi::Handle space, uint64_t vaddr, uint64_t pages, uint32_t rights) {
  return detail::status_of(abi::Syscall::kProtect, space, vaddr, pages, rights);
}

// ---- IPC objects ----

inline Result<abi::Handle> endpoint_create() {
  return detail::handle_of(abi::Syscall::kEndpointCreate);
}
inline Result<abi::Handle> notification_create() {
  return detail::handle_of(abi::Syscall::kNotificationCreate);
}

// ---- capabilities ----

// `badge` 0 keeps the source's badge; a non-zero badge needs an unbadged endpoint or
// notification capability.
inline Result<abi::Handle> cap_derive(abi::Handle handle, uint32_t rights, uint64_t badge = 0) {
  return detail::handle_of(abi::Syscall::kCapDerive, handle, rights, badge);
}
inline Status cap_delete(abi::Handle handle) {
  return detail::status_of(abi::Syscall::kCapDelete, handle);
}
inline Status cap_revoke(abi::Handle handle) {
  return detail::status_of(abi::Syscall::kCapRevoke, handle);
}

struct CapInfo {
  abi::ObjectType type;
  uint32_t rights;
  uint64_t badge;
};
inline Result<CapInfo> cap_info(abi::Handle handle) {
  const SyscallResult r = raw_syscall(abi::Syscall::kCapInfo, handle);
  if (r.status != Status::kOk) return r.status;
  return CapInfo{static_cast<abi::ObjectType>(r.value0 & 0xff),
                 static_cast<uint32_t>(r.value0 >> 8), r.value1};
}
// Copies `handle` (with `rights`, a subset of its own) into `space`'s table; returns the
// handle there. The copy is a child of `handle` in the derivation tree.
inline Result<abi::Handle> cap_copy_to(abi::Handle space, abi::Handle handle, uint32_t rights) {
  return detail::handle_of(abi::Syscall::kCapCopyTo, space, handle, rights);
}

// ---- interrupts ----

inline Result<abi::Handle> irq_create(abi::Handle irq_control, uint64_t line) {
  return detail::handle_of(abi::Syscall::kIrqCreate, irq_control, line);
}
inline Status irq_bind(abi::Handle irq, abi::Handle notification) {
  return detail::status_of(abi::Syscall::kIrqBind, irq, notification);
}
inline Status irq_ack(abi::Handle irq) {
  return detail::status_of(abi::Syscall::kIrqAck, irq);
}

// ---- I/O ports ----
//
// Through an IoPorts capability (the boot manifest's `ioports=`; rt::find_boot_cap finds it):
// the whole access [port, port + width) must lie in its range (else kOutOfRange), width is 1, 2
// or 4 (else kInvalidArgument), and the capability needs kRightRead to read, kRightWrite to
// write (else kPermissionDenied).

inline Result<uint32_t> io_port_in(abi::Handle ports, uint16_t port, uint32_t width) {
  const SyscallResult r = raw_syscall(abi::Syscall::kIoPortIn, ports, port, width);
  if (r.status != Status::kOk) return r.status;
  return static_cast<uint32_t>(r.value0);
}
// `value` must fit in `width` bytes (else kInvalidArgument).
inline Status io_port_out(abi::Handle ports, uint16_t port, uint32_t width, uint32_t value) {
  return detail::status_of(abi::Syscall::kIoPortOut, ports, port, width, value);
}

// ---- process and diagnostics ----

[[noreturn]] inline void process_exit(int64_t code) {
  raw_syscall(abi::Syscall::kProcessExit, static_cast<uint64_t>(code));
  __builtin_unreachable();
}
inline Status debug_print(const char* text, size_t len) {
  return detail::status_of(abi::Syscall::kDebugPrint, reinterpret_cast<uint64_t>(text), len);
}

struct QuotaInfo {
  uint64_t limit;  // bytes
  uint64_t used;   // bytes
};
inline Result<QuotaInfo> quota_info(abi::Handle space) {
  const SyscallResult r = raw_syscall(abi::Syscall::kQuotaInfo, space);
  if (r.status != Status::kOk) return r.status;
  return QuotaInfo{r.value0, r.value1};
}

// Reserved by the ABI (timeouts); the kernel answers kUnsupported for now.
inline Status set_timer(uint64_t deadline) {
  return detail::status_of(abi::Syscall::kSetTimer, deadline);
}

}  // namespace hmk::rt
