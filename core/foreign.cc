// Foreign system calls and faults: the thread's registers are saved, the thread calls its
// handler through the ordinary IPC path (so a kernel-served handler answers at once and a
// user-level one receives a message), and the reply is applied when the thread next resumes.
#include "core/foreign.h"

#include "core/console.h"
#include "core/endpoint.h"
#include "core/ipc.h"
#include "core/kernel_service.h"
#include "core/space.h"
#include "core/syscall_table.h"

namespace hmk {
namespace {

using abi::MessageInfo;

// Applies the handler's answer (`status` of the call, its `label`, `words` and word 0) to `t`,
// whose own registers are back in place: false if that ended its process or the thread.
bool apply_answer(Thread* t, ForeignCall kind, Status status, uint32_t label, uint32_t words,
                  uint64_t word0) {
  const bool answered = status == Status::kOk && words >= 1;
  if (answered && label == abi::kForeignResume) {
    if (kind == ForeignCall::kSyscall) t->regs()[arch::kSysNumber] = word0;
    return true;
  }
  Space& space = t->space();
  if (answered && label == abi::kForeignExit) {
    space.terminate(static_cast<int64_t>(word0));
    return false;
  }
  if (answered && label == abi::kForeignThreadExit) {
    kill_thread(t);  // the process ends with its last thread
    return false;
  }
  // The handler failed the thread (gone, or an answer the protocol does not have).
  kprint("foreign: %.*s ended: its handler %s (status %s, label 0x%x)\n",
         static_cast<int>(space.name().size()), space.name().data(),
         status == Status::kOk ? "answered outside the protocol" : "did not answer",
         status_name(status), label);
  space.terminate(-1);
  return false;
}

// Makes the thread call its handler with `words`: a kernel-served handler straight from the
// registers (kernel_service_foreign_call), any other through IPC, its registers saved first.
Status forward(Thread* self, ForeignCall kind, uint32_t label, const uint64_t* words,
               uint32_t count) {
  const uint64_t handler = self->syscall_handler();
  Capability* cap =
      TRY(self->space().caps().lookup(handler, ObjectType::kEndpoint, abi::kRightSend));
  if (static_cast<Endpoint*>(cap->object)->kernel_served()) {
    ForeignAnswer answer;
    TRY(kernel_service_foreign_call(self, cap->badge, kind, label, words, count, &answer));
    if (answer.answered) {
      (void)apply_answer(self, kind, Status::kOk, answer.label, answer.words, answer.word0);
    }
    return Status::kOk;
  }
  self->begin_foreign_call(kind);
  uint64_t* r = self->regs();
  const MessageInfo tag = MessageInfo::make(label, count);
  r[arch::kSysHandle] = handler;
  r[arch::kSysTag] = tag.raw;
  for (uint32_t i = 0; i < count; ++i)
    r[arch::kSysWord0 + i] = words[i];
  Status s = sys_call(self, IpcArgs{handler, tag});
  if (s != Status::kOk) (void)self->end_foreign_call();
  return s;
}

}  // namespace

Status forward_syscall(Thread* self) {
  const uint64_t* r = self->regs();
  uint64_t words[abi::kForeignSyscallWords];
  words[0] = r[arch::kSysNumber];
  for (uint32_t i = 0; i < 6; ++i)
    words[1 + i] = r[arch::kSysArg0 + i];
  words[7] = arch::user_pc(self->context());
  words[8] = arch::user_sp(self->context());
  return forward(self, ForeignCall::kSyscall, abi::kForeignSyscallLabel, words,
                 abi::kForeignSyscallWords);
}

Status forward_fault(Thread* self, uint64_t vector, uint64_t address, FaultAccess access) {
  const uint64_t kind = access == FaultAccess::kRead      ? abi::kRightRead
                        : access == FaultAccess::kWrite   ? abi::kRightWrite
                        : access == FaultAccess::kExecute ? abi::kRightExecute
                                                          : 0;
  const uint64_t words[abi::kForeignFaultWords] = {vector, address, arch::user_pc(self->context()),
                                                   arch::user_sp(self->context()), kind};
  return forward(self, ForeignCall::kFault, abi::kForeignFaultLabel, words,
                 abi::kForeignFaultWords);
}

bool finish_foreign_call(Thread* t) {
  const uint64_t* r = t->regs();
  const auto status = static_cast<Status>(static_cast<int64_t>(r[arch::kSysNumber]));
  const MessageInfo tag{r[arch::kSysTag]};
  const uint64_t word0 = r[arch::kSysWord0];
  const ForeignCall kind = t->end_foreign_call();
  return apply_answer(t, kind, status, tag.label(), tag.words(), word0);
}

}  // namespace hmk
