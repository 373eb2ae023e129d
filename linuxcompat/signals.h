// Signal dispositions and delivery: what a signal does to a process, and the frames of
// handlers (signal_frame.h). Signals reach a task when one of its calls ends (a waiting call
// gives up with -EINTR for them); a task that makes no call does not see caught signals, while
// a signal whose default ends the process ends it at once (docs/linux.md).
#pragma once

#include "linuxcompat/signal_frame.h"
#include "linuxcompat/task.h"

namespace hmk::lx {

inline constexpr int kSighup = 1;
inline constexpr int kSigint = 2;
inline constexpr int kSigquit = 3;
inline constexpr int kSigabrt = 6;
inline constexpr int kSigusr1 = 10;
inline constexpr int kSigusr2 = 12;
inline constexpr int kSigpipe = 13;
inline constexpr int kSigalrm = 14;
inline constexpr int kSigterm = 15;
inline constexpr int kSigchld = 17;
inline constexpr int kSigcont = 18;
inline constexpr int kSigstop = 19;
inline constexpr int kSigtstp = 20;
inline constexpr int kSigurg = 23;
inline constexpr int kSigwinch = 28;
inline constexpr uint64_t kSigDfl = 0;
inline constexpr uint64_t kSigIgn = 1;

// Whether `sig` (1..64) sent to `process` ends it: its disposition is the default and the
// default is to terminate (or dump core); SIGKILL always.
bool signal_terminates(const Process& process, int sig);
// Whether `sig` does nothing to `process`: ignored, or ignored by default.
bool signal_ignored(const Process& process, int sig);

// A signal the task raises against itself (SIGPIPE from a write): ignored, pending (blocked or
// caught: delivered when its call ends), or the default action's end of the process.
void raise_signal(Task& task, int sig);

struct SignalSource;

// After a call or a fault of `task`: delivers the lowest pending signal it does not block,
// by its disposition (a handler's frame, ending the process, or nothing), and restores a mask
// rt_sigsuspend replaced. Returns what the task's result register gets: `result`, or 0 when it
// enters a handler. `fault` (a fault's signal, else 0) and `source` describe a fault.
// `nr` is the call's number: a call SA_RESTART restarts (read, write, wait4, futex...) that a
// handler interrupted runs again after the handler returns.
int64_t deliver_pending(Task& task, int64_t result, int fault, const SignalSource& source,
                        uint64_t nr = ~uint64_t{0});

}  // namespace hmk::lx
