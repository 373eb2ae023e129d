#include "linuxcompat/signals.h"

namespace hmk::lx {
namespace {

// Signals whose default action is to do nothing (signal(7)); the stop signals are treated the
// same until there is job control.
bool default_ignored(int sig) {
  switch (sig) {
    case kSigchld:
    case kSigcont:
    case kSigurg:
    case kSigwinch:
    case kSigstop:
    case kSigtstp:
    case 21:  // SIGTTIN
    case 22:  // SIGTTOU
      return true;
    default:
      return false;
  }
}

}  // namespace

bool signal_terminates(const Process& process, int sig) {
  if (sig == kSigkill) return true;
  if (sig < 1 || sig > static_cast<int>(kSignalCount)) return false;
  if (process.actions[sig - 1].handler != kSigDfl) return false;  // ignored, or caught
  return !default_ignored(sig);
}

}  // namespace hmk::lx
