// linux.write_null_4k: write(2) of 4 KiB to /dev/null: the system call and the device's
// write, which takes the bytes without reading them.
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

static char buffer[4096];

static void write_once(int fd) {
  if (write(fd, buffer, sizeof(buffer)) != (ssize_t)sizeof(buffer)) die("write /dev/null");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  memset(buffer, 'x', sizeof(buffer));
  int fd = open("/dev/null", O_WRONLY);
  if (fd < 0) die("open /dev/null");
  for (int i = 0; i < kWarmup; i++)
    write_once(fd);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    write_once(fd);
    samples[i] = now() - t0;
  }
  report("linux.write_null_4k", samples, n, overhead);
  return 0;
}
