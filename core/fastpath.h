// The IPC fast paths: call and reply_recv with a register-only message to a partner that is
// already waiting, switching to it directly without the scheduler.
#pragma once

#include "core/arch.h"
#include "core/thread.h"

namespace hmk {

// Each returns the partner's activated context, or nullptr when a guard fails; then the slow
// path (handle_syscall) runs the same system call from the unchanged registers.
arch::UserContext* fastpath_call(Thread* self);
arch::UserContext* fastpath_reply_recv(Thread* self);

}  // namespace hmk
