// IPC between threads: message transfer, blocking and waking, and ending threads cleanly.
// These are the slow paths; core/fastpath.cc short-cuts the common call and reply_recv.
#pragma once

#include <stdint.h>

#include "core/cap.h"
#include "core/endpoint.h"
#include "core/lib/status.h"
#include "core/notification.h"
#include "core/thread.h"

namespace hmk {

// The handlers of the IPC and notification system calls (sys_call, sys_reply_recv, sys_send,
// sys_recv, sys_reply, sys_signal, sys_wait, sys_poll) are declared with every other handler in
// the generated core/syscall_table.h and defined in ipc.cc. Each works on the current thread
// `self`. When one returns a Status, `self` is still running and gets it; when `self` blocked
// instead, whoever wakes it writes its status.

// Where a woken partner goes: straight to the CPU if nothing ready outranks it (as the fast
// path does), or to the back of its run queue.
enum class Switch : uint8_t { kDirect, kQueue };
// Whether a receiving call waits when there is nothing to take.
enum class Blocking : uint8_t { kYes, kNo };

// The kernel view of `t`'s IPC buffer, or nullptr if it has none or it is not mapped writable.
abi::IpcBuffer* ipc_buffer_of(Thread* t);
// Wakes a blocked thread with `status` (it leaves whatever queue it was in).
void wake_with_status(Thread* t, Status status);
// Ends a thread: out of every queue, its pending caller gets kPeerClosed, its space loses a
// live thread (and ends with the last one).
void kill_thread(Thread* t);

// Puts a woken thread at the back of its run queue.
void make_runnable(Thread* t);
// For a partner woken by a thread that is about to block (call, reply_recv): it runs next if
// nothing ready outranks it (front of its queue), as the fast path's direct switch does.
void make_runnable_direct(Thread* t);

}  // namespace hmk
