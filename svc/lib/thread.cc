// Thread slots, creation, the C++ entry of new threads, and the per-thread IPC buffer.
#include "svc/lib/thread.h"

#include "core/lib/util.h"
#include "svc/lib/alloc.h"
#include "svc/lib/layout.h"
#include "svc/lib/syscall.h"

// crt0.S: aligns the stack and calls hmk_rt_thread_main(info).
extern "C" void hmk_rt_thread_entry();

namespace hmk::rt {
namespace {

static_assert(sizeof(abi::IpcBuffer) <= kThreadInfoOffset - kThreadPageOffset);
static_assert(kThreadInfoOffset + sizeof(ThreadInfo) <= kThreadSlotSize);

ThreadInfo g_first_thread = {abi::kSelfThread, abi::kNullHandle, nullptr,
                             nullptr,          nullptr,          nullptr};

uint64_t g_slot_bits[kMaxThreads / 64];

uint64_t slot_base(uint32_t slot) {
  return kThreadSlotsBase + slot * kThreadSlotStride;
}

uint32_t claim_slot() {
  for (uint32_t word = 0; word < kMaxThreads / 64; ++word) {
    uint64_t bits = __atomic_load_n(&g_slot_bits[word], __ATOMIC_RELAXED);
    while (bits != ~0ull) {
      const uint32_t bit = __builtin_ctzll(~bits);
      if (__atomic_compare_exchange_n(&g_slot_bits[word], &bits, bits | (1ull << bit), false,
                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return word * 64 + bit;
      }
    }
  }
  return ~0u;
}

void free_slot(uint32_t slot) {
  __atomic_fetch_and(&g_slot_bits[slot / 64], ~(1ull << (slot % 64)), __ATOMIC_RELEASE);
}

abi::IpcBuffer* slot_buffer(uint32_t slot) {
  return reinterpret_cast<abi::IpcBuffer*>(slot_base(slot) + kThreadPageOffset);
}

ThreadInfo* slot_info(uint32_t slot) {
  return reinterpret_cast<ThreadInfo*>(slot_base(slot) + kThreadInfoOffset);
}

uint64_t stack_pointer() {
  uint64_t rsp;
  asm volatile("mov %%rsp, %0" : "=r"(rsp));
  return rsp;
}

}  // namespace

// The C++ half of a new thread's start (crt0.S holds the entry): run the function, then signal
// `done` and end. The last two steps are one asm block that touches no memory after the
// signal, because from that moment the joiner may unmap this thread's stack and ThreadInfo.
extern "C" [[noreturn]] void hmk_rt_thread_main(ThreadInfo* info) {
  info->function(info->arg);
  const uint64_t done = info->done;
  asm volatile(
      "syscall\n\t"  // signal(done)
      "mov %[exit], %%eax\n\t"
      "syscall\n\t"  // thread_exit()
      "ud2"
      :
      : "a"(static_cast<uint64_t>(abi::Syscall::kSignal)),
        "D"(done), [exit] "i"(static_cast<int>(abi::Syscall::kThreadExit))
      : "rcx", "r11", "memory");
  __builtin_unreachable();
}

Result<Thread> Thread::make(uint64_t entry, uint64_t arg, ThreadFunction function,
                            void* function_arg, uint32_t priority, IpcBufferMode ipc) {
  // The heap gets its lock while this is still the only thread that can reach it.
  TRY(enable_heap_threads());
  Thread t;
  t.slot_ = claim_slot();
  if (t.slot_ == kNoSlot) return Status::kQuotaExceeded;
  // From here on every failure unwinds through release(), which copes with a partial thread.
  auto fail = [&t](Status status) -> Result<Thread> {
    (void)t.release();
    return status;
  };
  Result<abi::Handle> memory = memory_create(kThreadSlotPages);
  if (!memory.ok()) return fail(memory.status());
  t.memory_ = *memory;
  Status s = map(abi::kSelfSpace, t.memory_, slot_base(t.slot_), 0, kThreadSlotPages,
                 abi::kRightRead | abi::kRightWrite);
  if (s != Status::kOk) {
    (void)cap_delete(t.memory_);
    t.memory_ = abi::kNullHandle;
    return fail(s);
  }
  if (function != nullptr) {
    Result<abi::Handle> done = notification_create();
    if (!done.ok()) return fail(done.status());
    t.done_ = *done;
  }
  ThreadInfo* info = slot_info(t.slot_);
  *info =
      ThreadInfo{abi::kNullHandle, t.done_, nullptr, slot_buffer(t.slot_), function, function_arg};
  Result<abi::Handle> handle =
      function != nullptr
          ? thread_create(abi::kSelfSpace, reinterpret_cast<uint64_t>(&hmk_rt_thread_entry),
                          t.stack_top(), reinterpret_cast<uint64_t>(info))
          : thread_create(abi::kSelfSpace, entry, t.stack_top(), arg);
  if (!handle.ok()) return fail(handle.status());
  t.handle_ = *handle;
  info->thread = t.handle_;
  s = thread_set_priority(t.handle_, priority);
  if (s != Status::kOk) return fail(s);
  if (ipc == IpcBufferMode::kSet) {
    s = thread_set_ipc_buffer(t.handle_, reinterpret_cast<uint64_t>(info->spare_buffer));
    if (s != Status::kOk) return fail(s);
    info->ipc_buffer = info->spare_buffer;
  }
  return t;
}

abi::IpcBuffer* Thread::ipc_buffer() const {
  return slot_ == kNoSlot ? nullptr : slot_buffer(slot_);
}

uint64_t Thread::stack_top() const {
  return slot_ == kNoSlot ? 0 : slot_base(slot_) + kThreadPageOffset;
}

ThreadInfo* Thread::info() const {
  return slot_ == kNoSlot ? nullptr : slot_info(slot_);
}

Status Thread::start() {
  return thread_start(handle_);
}

Status Thread::join() {
  if (done_ == abi::kNullHandle) return Status::kInvalidArgument;
  TRY(wait(done_));
  return release();
}

Status Thread::release() {
  Status first = Status::kOk;
  auto note = [&first](Status s) {
    if (first == Status::kOk) first = s;
  };
  if (handle_ != abi::kNullHandle) note(cap_delete(handle_));
  if (memory_ != abi::kNullHandle) {
    note(unmap(abi::kSelfSpace, slot_base(slot_), kThreadSlotPages));
    note(cap_delete(memory_));
  }
  if (done_ != abi::kNullHandle) note(cap_delete(done_));
  if (slot_ != kNoSlot) free_slot(slot_);
  *this = Thread();
  return first;
}

Result<Thread> create_thread(ThreadFunction function, void* arg, uint32_t priority,
                             IpcBufferMode ipc) {
  if (function == nullptr) return Status::kInvalidArgument;
  return Thread::make(0, 0, function, arg, priority, ipc);
}

Result<Thread> create_thread_at(uint64_t entry, uint64_t arg, uint32_t priority,
                                IpcBufferMode ipc) {
  return Thread::make(entry, arg, nullptr, nullptr, priority, ipc);
}

Result<Thread> spawn_thread(ThreadFunction function, void* arg, uint32_t priority,
                            IpcBufferMode ipc) {
  Thread t = TRY(create_thread(function, arg, priority, ipc));
  const Status s = t.start();
  if (s != Status::kOk) {
    (void)t.release();
    return s;
  }
  return t;
}

ThreadInfo* this_thread() {
  const uint64_t rsp = stack_pointer();
  if (rsp <= kMainStackTop && rsp > kMainStackTop - kMainStackPages * kPageSize) {
    return &g_first_thread;
  }
  if (rsp <= kThreadSlotsBase || rsp > kThreadSlotsBase + kMaxThreads * kThreadSlotStride) {
    return nullptr;
  }
  // rsp - 1: a thread that has not pushed anything yet sits exactly at its slot's stack top.
  const uint64_t offset = (rsp - 1 - kThreadSlotsBase) % kThreadSlotStride;
  if (offset >= kThreadPageOffset) return nullptr;  // in a guard gap: not a stack
  return reinterpret_cast<ThreadInfo*>(align_down(rsp - 1, kThreadSlotSize) + kThreadInfoOffset);
}

abi::IpcBuffer* ipc_buffer() {
  ThreadInfo* self = this_thread();
  return self != nullptr ? self->ipc_buffer : nullptr;
}

abi::IpcBuffer* ensure_ipc_buffer() {
  ThreadInfo* self = this_thread();
  if (self == nullptr) return nullptr;
  if (self->ipc_buffer != nullptr) return self->ipc_buffer;
  if (self->spare_buffer == nullptr) {
    // The first thread: a page of its own, kept for the life of the process.
    Result<Pages> page = alloc_pages(1);
    if (!page.ok()) return nullptr;
    self->spare_buffer = static_cast<abi::IpcBuffer*>(page->base);
  }
  if (thread_set_ipc_buffer(self->thread, reinterpret_cast<uint64_t>(self->spare_buffer)) !=
      Status::kOk) {
    return nullptr;
  }
  self->ipc_buffer = self->spare_buffer;
  return self->ipc_buffer;
}

}  // namespace hmk::rt
