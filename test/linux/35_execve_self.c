// execve of /proc/self/exe passes argv and envp, keeps the pid, and the new image's exit status
// counts.
//
// Syscalls: fork, getpid, execve, wait4, exit_group, rt_sigprocmask, gettid
#include "check.h"

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--exec-child") == 0) {
    // The new image: same pid as before execve, the arguments and environment given.
    const char* e = getenv("HMK_EXEC_TEST");
    if (atoi(argv[2]) != getpid()) return 20;
    if (strcmp(argv[3], "two words") != 0) return 21;
    if (e == NULL || strcmp(e, "value=with=equals") != 0) return 22;
    if (getenv("PATH") != NULL) return 23;  // only what execve passed
    return 33;
  }
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    char* args[] = {argv[0], "--exec-child", pid, "two words", NULL};
    char* env[] = {"HMK_EXEC_TEST=value=with=equals", NULL};
    execve("/proc/self/exe", args, env);
    _exit(99);
  }
  CHECK_EXITED(wait_child(child), 33);
  return 0;
}
