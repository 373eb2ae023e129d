// Across execve, FD_CLOEXEC fds are closed and the others stay open at the same numbers.
//
// Syscalls: open, fcntl, fork, execve, wait4, close, exit_group, rt_sigprocmask, gettid
#include "check.h"

#include <fcntl.h>

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--after-exec") == 0) {
    int kept = atoi(argv[2]), closed = atoi(argv[3]);
    if (fcntl(kept, F_GETFD) != 0) return 10;
    if (fcntl(closed, F_GETFD) != -1 || errno != EBADF) return 11;
    return 44;
  }
  int kept = CHECK_OK(open("/dev/null", O_RDONLY));
  int closed = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", kept);
    snprintf(b, sizeof b, "%d", closed);
    char* args[] = {argv[0], "--after-exec", a, b, NULL};
    char* env[] = {NULL};
    execve("/proc/self/exe", args, env);
    _exit(99);
  }
  CHECK_EXITED(wait_child(child), 44);
  CHECK_OK(close(kept));
  CHECK_OK(close(closed));
  return 0;
}
