// Writing to a pipe without readers fails with EPIPE when SIGPIPE is ignored (and raises it).
//
// Syscalls: rt_sigaction, pipe, close, write, rt_sigprocmask, rt_sigpending
#include "check.h"

#include <signal.h>

int main(void) {
  signals_default();
  CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_OK(close(p[0]));
  CHECK_ERR(write(p[1], "x", 1), EPIPE);
  CHECK_ERR(write(p[1], "xyz", 3), EPIPE);
  // Blocked instead of ignored: EPIPE too, and SIGPIPE is left pending.
  sigset_t set, pending;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
  CHECK_ERR(write(p[1], "x", 1), EPIPE);
  CHECK_OK(sigpending(&pending));
  CHECK(sigismember(&pending, SIGPIPE));
  CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);  // discards the pending one
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
  CHECK_OK(close(p[1]));
  return 0;
}
