// The native system call ABI: numbers, register convention, handles, rights, message layout.
// Shared by the kernel (core/) and the user runtime (svc/lib/); nothing here knows Linux.
#pragma once

#include <stdint.h>

#include "core/abi/syscall_numbers.h"

namespace hmk::abi {

// ---- register convention (x86-64) ----
//
// `syscall` with the number in rax. Ordinary system calls take up to six arguments in rdi,
// rsi, rdx, r10, r8, r9 and return a Status (core/lib/status.h) in rax and up to two values
// in rdi and rsi. rcx and r11 are clobbered (the CPU puts the return address and RFLAGS
// there); every other register is preserved.
//
// IPC system calls (kCall, kReplyRecv, kSend, kRecv, kReply) use twelve registers as the
// message register file, in and out:
//
//   rdi        handle (in) / badge of the sender (out, receiving calls)
//   rsi        message tag (MessageInfo)
//   rdx, r10, r8, r9, rbx, rbp, r12, r13, r14, r15   message words 0..9
//
// and return the Status in rax. Words kRegisterWords and up travel in the IPC buffer.
// svc/lib/ipc.S is the user-side stub; core/ipc.cc and core/fastpath.cc the kernel side.

// The calls themselves (enum Syscall, kSyscallCount) are generated from core/abi/syscalls.tbl,
// the one list of every call's number, arguments, checks and results.

// Thread-local storage bases (kThreadSetTls) are user addresses: below the end of the user
// half of the address space (x86-64: the canonical lower half); larger values are kBadAddress.
// User code cannot set them itself (no wrfsbase), so the kernel always knows them.
inline constexpr uint64_t kUserAddressEnd = 0x0000'8000'0000'0000;

// Longest text one kDebugPrint may carry; longer requests fail with kInvalidArgument.
inline constexpr uint64_t kDebugPrintMax = 4096;

// ---- handles and capabilities ----

// A handle names a slot in the calling process's capability table and that slot's generation
// (bits 0-9 and 10-31): once the slot's capability is deleted the handle is stale for good,
// whatever the slot holds later. 0 is never valid; a value beyond 32 bits names nothing.
using Handle = uint32_t;
inline constexpr Handle kNullHandle = 0;

// Handles every process started from the boot manifest finds in its table.
// Nothing else: interrupt control, I/O ports and services come only as the manifest line says,
// named in the process's bootstrap table (core/abi/bootinfo.h).
inline constexpr Handle kSelfSpace = 1;   // its own address space (all rights)
inline constexpr Handle kSelfThread = 2;  // its first thread (all rights)

enum class ObjectType : uint32_t {
  kNone = 0,
  kSpace = 1,  // address space + capability table + quota: a process
  kThread = 2,
  kEndpoint = 3,
  kNotification = 4,
  kMemory = 5,  // a MemoryObject: physical pages that can be mapped
  kIrq = 6,
  kIrqControl = 7,
  kIoPorts =
      8,  // a range of I/O port numbers [base, base + count); only the boot manifest makes one
};

// Rights bits. What each means depends on the object type.
enum Rights : uint32_t {
  kRightRead = 1u << 0,     // Memory: map readable; IoPorts: io_port_in
  kRightWrite = 1u << 1,    // Memory: map writable; IoPorts: io_port_out
  kRightExecute = 1u << 2,  // Memory: map executable
  kRightSend = 1u << 3,     // Endpoint: send, call; Notification: signal
  kRightReceive = 1u << 4,  // Endpoint: recv, reply_recv; Notification: wait, poll
  kRightGrant = 1u << 5,    // Endpoint: capabilities may travel in messages sent through it
  kRightManage = 1u << 6,   // Space: map, create threads, copy caps in; Thread: start,
                            // priority, IPC buffer, TLS; Irq: bind, ack; IrqControl: create
  kRightsAll = (1u << 7) - 1,
};

// ---- messages ----

inline constexpr uint32_t kRegisterWords = 10;     // words carried in registers
inline constexpr uint32_t kMaxMessageWords = 128;  // 1 KiB in all
inline constexpr uint32_t kMaxMessageCaps = 4;

// The message tag: label (free for the protocol), length in words, capabilities carried, and
// flags. Bit layout: words 0-7, caps 8-10, flags 16-23, label 32-63.
struct MessageInfo {
  uint64_t raw;

  static constexpr uint64_t kNonBlocking = 1ull << 16;  // send/recv: fail with kWouldBlock

  static constexpr MessageInfo make(uint32_t label, uint32_t words, uint32_t caps = 0,
                                    uint64_t flags = 0) {
    return {static_cast<uint64_t>(label) << 32 | flags | (caps & 7u) << 8 | (words & 0xffu)};
  }
  constexpr uint32_t words() const { return raw & 0xff; }
  constexpr uint32_t caps() const { return (raw >> 8) & 7; }
  constexpr uint32_t label() const { return static_cast<uint32_t>(raw >> 32); }
  constexpr bool non_blocking() const { return (raw & kNonBlocking) != 0; }
};

// The IPC registers in the order the kernel saves them (see the convention above).
struct IpcRegisters {
  uint64_t handle_or_badge;
  MessageInfo tag;
  uint64_t words[kRegisterWords];
};

// Each thread that sends or receives more than kRegisterWords words, or capabilities, names an
// IPC buffer (kThreadSetIpcBuffer): user memory inside one page, writable. Words 0..9 of a
// message are in registers; words[kRegisterWords..] are here, at their own index.
struct IpcBuffer {
  uint64_t words[kMaxMessageWords];
  Handle send_caps[kMaxMessageCaps];      // sender: handles to transfer (copied, same rights)
  Handle received_caps[kMaxMessageCaps];  // receiver: where the kernel put them
};
static_assert(sizeof(IpcBuffer) <= 4096);

// ---- foreign system calls (personalities) ----
//
// A thread given a syscall handler (kThreadSetSyscallHandler) runs a foreign ABI (a process
// whose threads all have one is a foreign process): a `syscall` it makes is not a native call. The
// kernel saves the thread's whole register state and makes the thread call the handler endpoint
// (with that capability's badge) with the message below; the thread waits for the reply as any
// caller does. A fault (page fault, invalid opcode...) of such a thread goes to the handler the
// same way. The kernel knows nothing of the foreign ABI: it only passes the registers the
// architecture's system-call convention uses (x86-64: the number in rax, arguments in rdi, rsi,
// rdx, r10, r8, r9).
//
//   label kForeignSyscallLabel, kForeignSyscallWords words:
//     [0] number  [1..6] arguments 0..5  [7] user pc after the instruction  [8] user sp
//   label kForeignFaultLabel, kForeignFaultWords words:
//     [0] vector  [1] fault address (page faults; else 0)  [2] user pc of the fault  [3] user sp
//     [4] the access that faulted (page faults: kRightRead, kRightWrite or kRightExecute; else 0)
//
// The reply decides what happens to the thread:
//   label kForeignResume: it resumes with the registers it had (changed only by
//       thread_write_registers while it waited); after a system call, word 0 (required) is the
//       result register's value (x86-64: rax). A resumed fault retries the instruction.
//   label kForeignExit: its process ends with exit code word 0 (required), as process_exit.
//   label kForeignThreadExit: the thread ends, as thread_exit (word 0 required, unused); its
//       process ends with its last thread.
// Anything else (another label, a missing word 0, the handler capability deleted, the
// handler gone before replying) ends the process as an unhandled fault would.
// A thread's user registers as thread_read_registers and thread_write_registers move them
// (x86-64). A handler uses them to fork (the child starts with the parent's registers), exec
// and deliver signals.
struct UserRegisters {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags, fs_base, gs_base;
};

// A thread's FPU and SSE registers as thread_read_fpu and thread_write_fpu move them: x86-64's
// 512-byte FXSAVE image in its 64-bit format (what fxsave64 stores; Intel SDM vol. 1, 10.5.1),
// which is also the layout of Linux's struct _fpstate. A thread that never used the FPU reads
// as the reset state: fcw kFpuResetFcw, mxcsr kFpuResetMxcsr, mxcsr_mask the CPU's, the rest 0.
// thread_write_fpu loads every byte as it is except that it refuses (InvalidArgument) an mxcsr
// with a bit outside the CPU's mxcsr_mask (bit 16 and up on most CPUs), on which fxrstor would
// fault; mxcsr_mask and the reserved bytes are ignored by the CPU.
struct alignas(16) FpuState {
  uint16_t fcw;  // x87 control word
  uint16_t fsw;  // x87 status word
  uint8_t ftw;   // abridged tag word: bit i set = st(i) holds a value
  uint8_t reserved0;
  uint16_t fop;         // last x87 opcode
  uint64_t fip;         // last x87 instruction's address
  uint64_t fdp;         // last x87 operand's address
  uint32_t mxcsr;       // SSE control and status
  uint32_t mxcsr_mask;  // the MXCSR bits the CPU supports (written by the CPU, ignored on load)
  uint8_t st[8][16];    // st(0)..st(7) (mm0..mm7): 10 bytes each, 6 bytes padding
  uint8_t xmm[16][16];  // xmm0..xmm15
  uint8_t reserved1[48];
  uint8_t available[48];  // ignored by the CPU, free for software (Linux: sw_reserved)
};
static_assert(sizeof(FpuState) == 512);
static_assert(__builtin_offsetof(FpuState, mxcsr) == 24 && __builtin_offsetof(FpuState, st) == 32 &&
              __builtin_offsetof(FpuState, xmm) == 160 &&
              __builtin_offsetof(FpuState, available) == 464);
inline constexpr uint16_t kFpuResetFcw = 0x037f;    // all x87 exceptions masked, 64-bit precision
inline constexpr uint32_t kFpuResetMxcsr = 0x1f80;  // all SSE exceptions masked, round to nearest

inline constexpr uint32_t kForeignSyscallLabel = 0x7f01;
inline constexpr uint32_t kForeignFaultLabel = 0x7f02;
inline constexpr uint32_t kForeignResume = 0x7f10;
inline constexpr uint32_t kForeignExit = 0x7f11;
inline constexpr uint32_t kForeignThreadExit = 0x7f12;
inline constexpr uint32_t kForeignSyscallWords = 9;
inline constexpr uint32_t kForeignFaultWords = 5;
static_assert(kForeignSyscallWords <= kRegisterWords && kForeignFaultWords <= kRegisterWords);

// ---- I/O ports ----

// Port numbers are 16 bits: an IoPorts range lies inside [0, kIoPortSpace).
inline constexpr uint32_t kIoPortSpace = 0x10000;

// ---- memory ----

// Largest memory object, in pages (64 MiB); memory_create(0) or beyond this is kInvalidArgument.
inline constexpr uint64_t kMaxMemoryPages = 16384;
// memory_create flags. kMemoryLazy: the frames come on first touch (kernel paging), zeroed.
inline constexpr uint64_t kMemoryLazy = 1u << 0;
inline constexpr uint64_t kMemoryFlagsAll = kMemoryLazy;
// space_set_pager modes: who resolves a process's page faults.
inline constexpr uint64_t kPagerKernel = 0;   // kernel paging, from the process's mappings
inline constexpr uint64_t kPagerHandler = 1;  // the faulting thread's foreign handler

// ---- scheduling ----

inline constexpr uint32_t kPriorityCount = 256;  // 0 lowest .. 255 highest
inline constexpr uint32_t kDefaultPriority = 100;

// ---- quotas ----

// Quota given to each process the boot manifest starts, unless the manifest says otherwise.
inline constexpr uint64_t kDefaultProcessQuota = 16ull << 20;

}  // namespace hmk::abi
