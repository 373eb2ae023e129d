// With SA_RESTART, a read interrupted by handlers is restarted and returns the data that arrives
// later.
//
// Syscalls: rt_sigprocmask, rt_sigaction, pipe, setitimer, read, write, rt_sigreturn, close
#include "check.h"

#include <signal.h>
#include <sys/time.h>

static int p[2];
static volatile int alarms;

// The third alarm provides the byte the read is waiting for.
static void on_alarm(int sig) {
  (void)sig;
  if (++alarms == 3 && write(p[1], "r", 1) != 1) _exit(2);
}

int main(void) {
  signals_default();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  CHECK_OK(pipe(p));
  struct itimerval every = {{0, 20000}, {0, 20000}}, stop = {{0, 0}, {0, 0}};
  CHECK_OK(setitimer(ITIMER_REAL, &every, NULL));
  char c = 0;
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_OK(setitimer(ITIMER_REAL, &stop, NULL));
  CHECK_EQ(c, 'r');
  CHECK(alarms >= 3);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
