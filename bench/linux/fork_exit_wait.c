// linux.fork_exit_wait: fork(2), the child _exit(0)s at once, the parent waitpid(2)s for it:
// making a process as a copy of this small one (its memory, descriptors, signal state), running
// it, ending it and reaping it. The driver asks for fewer samples than the other cases.
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void fork_exit_wait(void) {
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) _exit(0);
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("child");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  fflush(stdout);  // the child _exits, but nothing buffered should be copied into it anyway
  for (int i = 0; i < kWarmup; i++)
    fork_exit_wait();
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    fork_exit_wait();
    samples[i] = now() - t0;
  }
  report("linux.fork_exit_wait", samples, n, overhead);
  return 0;
}
