// execve runs a program by path: argv[1] if given, else this program by its argv[0] path.
//
// Syscalls: fork, execve, wait4, readlink?, exit_group, rt_sigprocmask, gettid
#include "check.h"

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--ran") == 0) return 55;
  // The program to run: argv[1] if given, else argv[0] if it is a path (as when the host test
  // runs it), else where /proc/self/exe points.
  char self[512];
  const char* path = argc > 1 ? argv[1] : strchr(argv[0], '/') != NULL ? argv[0] : NULL;
  if (path == NULL) {
    long n = CHECK_OK(readlink("/proc/self/exe", self, sizeof self - 1));
    self[n] = 0;
    path = self;
  }
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char* args[] = {(char*)path, "--ran", NULL};
    char* env[] = {NULL};
    execve(path, args, env);
    _exit(99);
  }
  CHECK_EXITED(wait_child(child), 55);
  return 0;
}
