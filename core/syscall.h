// System call dispatch: typed register views, one per system call, and the handlers.
#pragma once

#include "core/lib/status.h"
#include "core/thread.h"

namespace hmk {

// Runs the system call in `self`'s saved registers (the slow path: every syscall, including
// the IPC calls the fast path declined). The status goes into self's registers if self is
// still runnable afterwards.
void handle_syscall(Thread* self);

// What a handler returns when it did one bounded step of a long operation and the rest is
// still to do: the call restarts (arch::restart_syscall) instead of returning, so the timer
// and other threads run in between, and the restarted call carries on from the state the
// step left. A kernel-internal value outside the ABI's Status range; never reaches user mode.
inline constexpr Status kRestart = static_cast<Status>(-1);

}  // namespace hmk
