// System call dispatch: typed register views, one per system call, and the handlers.
#pragma once

#include "core/lib/status.h"
#include "core/thread.h"

namespace hmk {

// Runs the system call in `self`'s saved registers (the slow path: every syscall, including
// the IPC calls the fast path declined). The status goes into self's registers if self is
// still runnable afterwards.
void handle_syscall(Thread* self);

}  // namespace hmk
