// A child's exit code (its low 8 bits) reaches the parent's wait status.
//
// Syscalls: fork, exit_group, wait4, rt_sigprocmask, gettid
#include "check.h"

int main(void) {
  static const int kCodes[] = {0, 1, 42, 255, 256 + 7};
  for (unsigned i = 0; i < sizeof kCodes / sizeof kCodes[0]; i++) {
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) syscall(SYS_exit_group, kCodes[i]);
    CHECK_EXITED(wait_child(pid), kCodes[i] & 0xff);
  }
  return 0;
}
