// A blocking read interrupted by a handler installed without SA_RESTART fails with EINTR.
//
// Syscalls: rt_sigprocmask, rt_sigaction, pipe, setitimer, read, close, rt_sigreturn
#include "check.h"

#include <signal.h>
#include <sys/time.h>

static volatile int alarms;

static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

int main(void) {
  signals_default();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = 0;  // no SA_RESTART
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  int p[2];
  CHECK_OK(pipe(p));
  // Every 20 ms until stopped, so one of them lands while read blocks, however late that is.
  struct itimerval every = {{0, 20000}, {0, 20000}}, stop = {{0, 0}, {0, 0}};
  CHECK_OK(setitimer(ITIMER_REAL, &every, NULL));
  char c;
  CHECK_ERR(read(p[0], &c, 1), EINTR);
  CHECK_OK(setitimer(ITIMER_REAL, &stop, NULL));
  CHECK(alarms >= 1);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
