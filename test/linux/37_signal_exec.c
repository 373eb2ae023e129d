// Across execve, handled signals reset to SIG_DFL, ignored ones stay ignored, the mask is kept.
//
// Syscalls: rt_sigaction, rt_sigprocmask, fork, execve, wait4, exit_group, gettid
#include "check.h"

#include <signal.h>

static void on_usr2(int sig) {
  (void)sig;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--after-exec") == 0) {
    struct sigaction sa;
    sigset_t mask;
    if (sigaction(SIGUSR1, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN) return 10;
    if (sigaction(SIGUSR2, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL) return 11;
    if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0 || !sigismember(&mask, SIGHUP)) return 12;
    return 66;
  }
  signals_default();
  CHECK(signal(SIGUSR1, SIG_IGN) != SIG_ERR);
  CHECK(signal(SIGUSR2, on_usr2) != SIG_ERR);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGHUP);
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char* args[] = {argv[0], "--after-exec", NULL};
    char* env[] = {NULL};
    execve("/proc/self/exe", args, env);
    _exit(99);
  }
  CHECK_EXITED(wait_child(child), 66);
  return 0;
}
