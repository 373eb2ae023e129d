// Signal dispositions: what a signal does to a process that has not caught it. There is no
// delivery to handlers yet: a caught signal is dropped (docs/linux.md).
#pragma once

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

}  // namespace hmk::lx
