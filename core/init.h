// The boot-time init policy: run the programs the initrd's manifest names, one after another,
// then power off. (A user-space init service takes this over later.)
#pragma once

#include "core/lib/cpio.h"

namespace hmk {

class Space;

// Starts the first manifest program. Returns false if there is nothing to run.
bool init_start(const CpioArchive& initrd);
// A space ended (called from Space::terminate); init notes it if it is the current program.
void init_space_ended(Space* space);
// Called on the way out of every kernel entry, outside any object operation: starts the next
// program when the current one has ended, and powers off after the last.
extern bool g_init_pending;  // a program ended; init_poll has work
void init_run_pending();
inline void init_poll() {
  if (g_init_pending) init_run_pending();
}
// Nothing can run and nothing is waiting for an interrupt: the system is deadlocked.
// Reports the blocked threads and ends the current program.
void init_deadlock();

}  // namespace hmk
