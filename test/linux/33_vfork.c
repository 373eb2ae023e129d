// vfork: the parent waits until the child exits (or execs); the child runs in the parent's memory.
//
// Syscalls: vfork, exit_group, wait4
#include "check.h"

static volatile int written_by_child;

int main(void) {
  pid_t child = vfork();
  if (child == 0) {
    // Only _exit and plain stores are allowed here.
    written_by_child = 1234;
    syscall(SYS_exit_group, 12);
  }
  CHECK(child > 0);
  // The child has run to its end before vfork returned here.
  CHECK_EQ(written_by_child, 1234);
  CHECK_EXITED(wait_child(child), 12);
  return 0;
}
