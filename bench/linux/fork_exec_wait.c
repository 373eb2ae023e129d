// linux.fork_exec_wait: fork(2), the child execve(2)s this very program (a static musl binary
// of a few KiB) with the argument "exit", which returns from main at once, and the parent
// waitpid(2)s for it: fork, loading a program, its start-up and exit, and the reaping.
// argv[0] must be a path execve can take (the initramfs and ./hmk exec give an absolute one).
// The driver asks for fewer samples than the other cases.
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char** environ;

static void fork_exec_wait(char* self) {
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    char* args[] = {self, "exit", NULL};
    execve(self, args, environ);
    _exit(127);
  }
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("child");
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "exit") == 0) return 0;
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  fflush(stdout);  // or a child that failed to exec would print the parent's lines again
  for (int i = 0; i < kWarmup; i++)
    fork_exec_wait(argv[0]);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    fork_exec_wait(argv[0]);
    samples[i] = now() - t0;
  }
  report("linux.fork_exec_wait", samples, n, overhead);
  return 0;
}
