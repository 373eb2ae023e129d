// A child ended by a signal shows WIFSIGNALED with that signal (SIGKILL, SIGABRT, SIGSEGV,
// SIGUSR1).
//
// Syscalls: fork, kill, getpid, wait4, rt_sigprocmask, rt_sigaction?, gettid?, tkill?, pause?
#include "check.h"

#include <signal.h>

static volatile int* volatile unmapped = (volatile int*)8;  // page 0 is never mapped

static pid_t spawn(int how) {
  pid_t child = CHECK_OK(fork());
  if (child != 0) return child;
  switch (how) {
    case 0:
      kill(getpid(), SIGKILL);
      break;
    case 1:
      abort();
    case 2:
      *unmapped = 1;
      break;
    case 3:
      kill(getpid(), SIGUSR1);
      break;
  }
  for (;;)
    pause();
}

int main(void) {
  signals_default();
  CHECK_KILLED(wait_child(spawn(0)), SIGKILL);
  CHECK_KILLED(wait_child(spawn(1)), SIGABRT);
  CHECK_KILLED(wait_child(spawn(2)), SIGSEGV);
  CHECK_KILLED(wait_child(spawn(3)), SIGUSR1);
  return 0;
}
