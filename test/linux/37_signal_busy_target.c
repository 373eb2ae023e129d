// A signal another process sends to one busy with calls that never wait (getpid, a write to
// /dev/null, clock_gettime) reaches its handler at one of those calls.
//
// Syscalls: rt_sigaction, rt_sigprocmask, open, fork, gettid, getppid, kill, getpid?,
// clock_gettime, wait4, exit_group, rt_sigreturn
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig) {
  got = sig == SIGUSR1;
}

// The system call itself, not the vDSO that musl would use on Linux.
static long long monotonic_ns(void) {
  struct timespec ts;
  if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0) FAIL("clock_gettime");
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  signals_default();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  const int null = open("/dev/null", O_WRONLY);
  CHECK(null >= 0);
  const pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) _exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
  // Only calls that never wait until the handler has run, for at most 10 s: the child runs on
  // another CPU, or when a timer tick takes this one from the loop.
  const long long start = monotonic_ns();
  for (long rounds = 0; !got && monotonic_ns() - start < 10000000000LL; rounds++) {
    if (rounds % 2 == 0) {
      syscall(SYS_getpid);
    } else {
      CHECK_EQ(syscall(SYS_write, null, "x", 1), 1);
    }
  }
  CHECK(got);
  int status = 0;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}
