// Threads of the calling process: a stack and IPC buffer per thread, start, join, and "my IPC
// buffer" without thread-local storage.
//
// How a thread finds itself: every thread made here owns a slot of kThreadSlotSize bytes,
// aligned to that size (layout.h). The slot's top page holds the thread's IPC buffer (offset 0)
// and its ThreadInfo (offset 2048); the stack grows down from just below that page. Masking
// the stack pointer therefore finds the ThreadInfo. The process's first thread runs on the
// kernel-made stack below kMainStackTop and has a static ThreadInfo instead. Threads made
// directly with rt::thread_create on stacks of their own are not known to this (this_thread()
// returns nullptr there).
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"

namespace hmk::rt {

// Whether a new thread gets its IPC buffer registered with the kernel at creation.
enum class IpcBufferMode {
  kNone,  // none: messages beyond the register words, or with capabilities, are refused
  kSet,   // the slot's buffer page, registered before the thread starts
};

using ThreadFunction = void (*)(void* arg);

// What the runtime keeps per thread.
struct ThreadInfo {
  abi::Handle thread;            // the thread's handle in this process (kSelfThread: the first)
  abi::Handle done;              // signalled when `function` has returned; 0 if not joinable
  abi::IpcBuffer* ipc_buffer;    // registered with the kernel, or nullptr
  abi::IpcBuffer* spare_buffer;  // memory that ensure_ipc_buffer() registers if needed
  ThreadFunction function;       // nullptr for threads started at a raw entry
  void* arg;
};

// A thread made by create_thread(_at). A small value type: copies name the same thread.
class Thread {
 public:
  Thread() = default;

  abi::Handle handle() const { return handle_; }
  // The slot's IPC buffer (whether or not it was registered).
  abi::IpcBuffer* ipc_buffer() const;
  ThreadInfo* info() const;
  // The stack pointer the thread starts with (the top of its slot's stack).
  uint64_t stack_top() const;

  // Lets the thread run (thread_start).
  Status start();
  // Waits until the thread function has returned, then releases the thread. Only for threads
  // with a function (create_thread / spawn_thread); kInvalidArgument for the others.
  Status join();
  // Frees the slot (stack, IPC buffer) and the handles without waiting. The thread must have
  // ended, or be certain never to touch its stack or IPC buffer again.
  Status release();

 private:
  friend Result<Thread> create_thread_at(uint64_t, uint64_t, uint32_t, IpcBufferMode);
  friend Result<Thread> create_thread(ThreadFunction, void*, uint32_t, IpcBufferMode);

  static constexpr uint32_t kNoSlot = ~0u;

  // Claims a slot, maps it, creates the handles and the thread (not started). With
  // `function` set the thread enters the runtime's trampoline, else `entry` with `arg`.
  static Result<Thread> make(uint64_t entry, uint64_t arg, ThreadFunction function,
                             void* function_arg, uint32_t priority, IpcBufferMode ipc);

  abi::Handle handle_ = abi::kNullHandle;
  abi::Handle done_ = abi::kNullHandle;
  abi::Handle memory_ = abi::kNullHandle;
  uint32_t slot_ = kNoSlot;
};

// A new thread of this process at `priority` (not above the caller's) that runs
// `function(arg)` and ends when it returns. Created inactive; Thread::start() runs it.
Result<Thread> create_thread(ThreadFunction function, void* arg, uint32_t priority,
                             IpcBufferMode ipc = IpcBufferMode::kSet);
// The same, but the thread begins at `entry` with rdi = `arg` and rsp at the top of its stack
// (16-byte aligned), e.g. a server blob (servers.h). It must end with thread_exit itself.
Result<Thread> create_thread_at(uint64_t entry, uint64_t arg, uint32_t priority,
                                IpcBufferMode ipc = IpcBufferMode::kSet);
// create_thread + start.
Result<Thread> spawn_thread(ThreadFunction function, void* arg, uint32_t priority,
                            IpcBufferMode ipc = IpcBufferMode::kSet);

// The calling thread's ThreadInfo, or nullptr if the runtime did not make this thread.
ThreadInfo* this_thread();
// The calling thread's registered IPC buffer, or nullptr.
abi::IpcBuffer* ipc_buffer();
// Registers an IPC buffer for the calling thread if it has none (the first thread gets a fresh
// page) and returns it; nullptr on failure.
abi::IpcBuffer* ensure_ipc_buffer();

}  // namespace hmk::rt
