// SA_SIGINFO handlers get the sender in siginfo; SA_RESETHAND resets the action; SA_NODEFER leaves
// it unblocked.
//
// Syscalls: rt_sigaction, kill, getpid, getuid, rt_sigprocmask, rt_sigreturn
#include "check.h"

#include <signal.h>

static volatile int runs, signo, code, pid, uid, blocked_inside;

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)context;
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  blocked_inside = sigismember(&now, sig);
  signo = si->si_signo;
  code = si->si_code;
  pid = si->si_pid;
  uid = (int)si->si_uid;
  runs++;
}

int main(void) {
  signals_default();
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
  CHECK_OK(kill(getpid(), SIGUSR2));
  CHECK_EQ(runs, 1);
  CHECK_EQ(signo, SIGUSR2);
  CHECK_EQ(code, SI_USER);
  CHECK_EQ(pid, getpid());
  CHECK_EQ(uid, getuid());
  CHECK(blocked_inside);
  // One-shot, not blocked while it runs.
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(runs, 2);
  CHECK_EQ(signo, SIGUSR1);
  CHECK(!blocked_inside);
  CHECK_OK(sigaction(SIGUSR1, NULL, &old));
  CHECK(old.sa_handler == SIG_DFL);
  return 0;
}
