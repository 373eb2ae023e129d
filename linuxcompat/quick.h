// The quick way: a Linux system call answered without the means to wait, on the caller's
// kernel entry (IC0: KernelDomain::quick_syscall, linuxcompat/ic0.cc). Only calls whose handler
// never waits, never reads or writes the caller's registers, raises no signal and ends nothing
// qualify, and only while no signal is pending for the task: for them handle() would do
// nothing but run the handler. Inline, so that the placement's hook is one function.
#pragma once

#include <stdint.h>

#include "linuxcompat/shim.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"

namespace hmk::lx::quick {

// Linux x86-64 numbers of the calls the quick way may answer (asm/unistd_64.h).
enum QuickCall : uint64_t {
  kRead = 0,
  kWrite = 1,
  kFstat = 5,
  kLseek = 8,
  kPread64 = 17,
  kPwrite64 = 18,
  kReadv = 19,
  kWritev = 20,
  kGetpid = 39,
  kUname = 63,
  kUmask = 95,
  kGettimeofday = 96,
  kGetrlimit = 97,
  kGetuid = 102,
  kGetgid = 104,
  kGeteuid = 107,
  kGetegid = 108,
  kGetppid = 110,
  kGetpgrp = 111,
  kGetgroups = 115,
  kGetresuid = 118,
  kGetresgid = 120,
  kGetpgid = 121,
  kGetsid = 124,
  kGettid = 186,
  kTime = 201,
  kSchedGetaffinity = 204,
  kClockGettime = 228,
  kClockGetres = 229,
  kGetrandom = 318,
};

// Whether the handler of `nr` never waits, never reads or writes the caller's registers,
// raises no signal and ends nothing, whatever its arguments (for reads and writes: if the file
// agrees, file_answers_quickly): the identity, time and limit queries, reads and writes. Their
// handlers' frames are small (at most one 4 KiB bounce buffer): they run on the kernel's 16 KiB
// stack in IC0.
[[gnu::always_inline]] constexpr bool may_answer_quickly(uint64_t nr) {
  switch (nr) {
    case kRead:
    case kWrite:
    case kFstat:
    case kLseek:
    case kPread64:
    case kPwrite64:
    case kReadv:
    case kWritev:
    case kGetpid:
    case kUname:
    case kUmask:
    case kGettimeofday:
    case kGetrlimit:
    case kGetuid:
    case kGetgid:
    case kGeteuid:
    case kGetegid:
    case kGetppid:
    case kGetpgrp:
    case kGetgroups:
    case kGetresuid:
    case kGetresgid:
    case kGetpgid:
    case kGetsid:
    case kGettid:
    case kTime:
    case kSchedGetaffinity:
    case kClockGettime:
    case kClockGetres:
    case kGetrandom:
      return true;
    default:
      return false;
  }
}

// A read or write only if its file would neither wait nor raise a signal for it now
// (File::answers_at_once; a bad fd is -EBADF at once); every other call of
// may_answer_quickly's.
[[gnu::always_inline]] inline bool file_answers_quickly(const Task& task, const uint64_t* call) {
  const uint64_t nr = call[0];
  const bool reads = nr == kRead || nr == kPread64 || nr == kReadv;
  const bool writes = nr == kWrite || nr == kPwrite64 || nr == kWritev;
  if (!reads && !writes) return true;
  const File* file = task.process.fds.get(static_cast<int32_t>(call[1]));
  const bool vectored = nr == kReadv || nr == kWritev;
  return file == nullptr || file->answers_at_once(writes, vectored ? ~uint64_t{0} : call[3]);
}

// The numbers handle_quick may answer, as a bitmap (number n: bit n % 64 of word n / 64): what
// the kernel offers (KernelDomain::quick_numbers).
struct QuickNumbers {
  uint64_t words[8];
};

constexpr QuickNumbers make_quick_numbers() {
  QuickNumbers bits = {};
  for (uint64_t nr = 0; nr < 64 * sizeof(bits.words) / sizeof(bits.words[0]); ++nr) {
    if (may_answer_quickly(nr)) bits.words[nr / 64] |= uint64_t{1} << (nr % 64);
  }
  return bits;
}

// The system call `call` (its number and six arguments) of the task badged `badge`, answered as
// handle() would answer it if it qualifies: true with the result. false: nothing was done
// (handle() takes the call).
[[gnu::always_inline]] inline bool handle_quick(uint64_t badge, const uint64_t* call,
                                                uint64_t* result) {
  const uint64_t nr = call[0];
  if (!may_answer_quickly(nr)) return false;
  const auto tid = static_cast<int32_t>((badge >> 16) & 0xffff);
  Task* task = tid > 0 && tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (task == nullptr || g_shim.badges[tid] != badge) return false;
  // What handle() does besides the handler must have nothing to do: no signal to deliver
  // (deliver_pending), no saved mask to put back, no end pending.
  if (task->in_call || task->interrupted() || task->mask_saved || task->exiting ||
      task->ended_by_exec || task->thread_replaced || task->process.zombie) {
    return false;
  }
  if (kSyscalls[nr].call == nullptr || !file_answers_quickly(*task, call)) return false;
  // No pc or stack pointer: no call of may_answer_quickly's reads them.
  const SyscallArgs args = {nr, {call[1], call[2], call[3], call[4], call[5], call[6]}, 0, 0};
  *result = static_cast<uint64_t>(kSyscalls[nr].call(*task, args));
  return true;
}

inline constexpr QuickNumbers kQuickNumbers = make_quick_numbers();

}  // namespace hmk::lx::quick
