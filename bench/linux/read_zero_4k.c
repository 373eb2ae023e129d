// linux.read_zero_4k: read(2) of 4 KiB from /dev/zero into a buffer the program already
// touched: the system call, the device's read and the kernel's copy (clear) of 4 KiB to user
// memory.
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

static char buffer[4096];

static void read_once(int fd) {
  if (read(fd, buffer, sizeof(buffer)) != (ssize_t)sizeof(buffer)) die("read /dev/zero");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) die("open /dev/zero");
  for (int i = 0; i < kWarmup; i++)
    read_once(fd);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    read_once(fd);
    samples[i] = now() - t0;
  }
  report("linux.read_zero_4k", samples, n, overhead);
  return 0;
}
