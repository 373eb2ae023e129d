// linux.pipe_roundtrip: parent and forked child pass one byte back and forth over two
// pipes. One sample is parent write -> child read -> child write -> parent read, i.e. two
// process switches, the shape of a synchronous IPC round trip between address spaces.
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void transfer(int fd, int writing) {
  char byte = 'x';
  ssize_t r = writing ? write(fd, &byte, 1) : read(fd, &byte, 1);
  if (r != 1) die(writing ? "pipe write" : "pipe read");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  int ping[2], pong[2];
  if (pipe(ping) != 0 || pipe(pong) != 0) die("pipe");
  fflush(stdout);  // or the child's exit would print the parent's buffered lines again
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    for (int i = 0; i < kWarmup + n; i++) {
      transfer(ping[0], 0);
      transfer(pong[1], 1);
    }
    _exit(0);
  }
  for (int i = 0; i < kWarmup; i++) {
    transfer(ping[1], 1);
    transfer(pong[0], 0);
  }
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    transfer(ping[1], 1);
    transfer(pong[0], 0);
    samples[i] = now() - t0;
  }
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("child");
  report("linux.pipe_roundtrip", samples, n, overhead);
  return 0;
}
