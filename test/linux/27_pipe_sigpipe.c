// Writing to a pipe without readers, SIGPIPE at its default action, kills the writer with SIGPIPE.
//
// Syscalls: rt_sigprocmask, rt_sigaction, pipe, fork, close, write, wait4, gettid
#include "check.h"

int main(void) {
  signals_default();
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_OK(close(p[0]));  // before the fork: no process has a read end
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    (void)write(p[1], "x", 1);
    _exit(3);  // not reached: SIGPIPE's default action ends the process
  }
  CHECK_OK(close(p[1]));
  CHECK_KILLED(wait_child(child), SIGPIPE);
  return 0;
}
