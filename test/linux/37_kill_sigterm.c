// kill(SIGTERM) ends a child by the default action; a child that handles SIGTERM lives on instead.
//
// Syscalls: fork, kill, wait4, pause?, rt_sigaction, rt_sigprocmask, pipe, write, read, close,
// exit_group, gettid
#include "check.h"

#include <signal.h>

static int ready[2];

static void on_term(int sig) {
  (void)sig;
  syscall(SYS_exit_group, 77);
}

int main(void) {
  signals_default();
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    for (;;)
      pause();
  }
  CHECK_OK(kill(child, SIGTERM));
  CHECK_KILLED(wait_child(child), SIGTERM);
  // With a handler installed (and reported ready), SIGTERM runs it instead.
  CHECK_OK(pipe(ready));
  child = CHECK_OK(fork());
  if (child == 0) {
    signal(SIGTERM, on_term);
    if (write(ready[1], "r", 1) != 1) _exit(2);
    for (;;)
      pause();
  }
  char c;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  CHECK_OK(kill(child, SIGTERM));
  CHECK_EXITED(wait_child(child), 77);
  CHECK_OK(close(ready[0]));
  CHECK_OK(close(ready[1]));
  return 0;
}
