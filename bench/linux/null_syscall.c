// linux.null_syscall: the cheapest round trip into the kernel and back. getppid does no
// work beyond reading a field, and going through syscall(2) keeps libc from caching it.
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  for (int i = 0; i < kWarmup; i++)
    syscall(SYS_getppid);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    syscall(SYS_getppid);
    samples[i] = now() - t0;
  }
  report("linux.null_syscall", samples, n, overhead);
  return 0;
}
