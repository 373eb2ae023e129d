// Foreign personalities: a thread with a syscall handler (thread_set_syscall_handler) runs an
// ABI the core does not know. Its system calls and faults become calls on the handler endpoint with
// the thread's registers as the message (core/abi/syscall.h, "foreign system calls"); the reply
// resumes the thread or ends its process. The core knows nothing of any foreign ABI: the Linux shim
// (linuxcompat/) is one handler.
#pragma once

#include <stdint.h>

#include "core/kernel.h"
#include "core/lib/status.h"
#include "core/thread.h"

namespace hmk {

// The current thread, a foreign one, made a system call: it calls its handler. kOk means
// the call is under way (the thread blocked, or a kernel-served handler answered already);
// anything else means there is no usable handler and the caller should end the process.
Status forward_syscall(Thread* self);
// Likewise for a fault (CPU exception `vector`; for page faults the `address` and the `access`).
Status forward_fault(Thread* self, uint64_t vector, uint64_t address, FaultAccess access);

// A thread about to resume whose foreign call has ended (replied to, or failed): puts its user
// registers back and applies the reply. Returns false if that ended its process instead (the
// caller picks another thread).
bool finish_foreign_call(Thread* t);

}  // namespace hmk
