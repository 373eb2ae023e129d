// linux.open_close: open(2) O_RDONLY of an existing regular file, then close(2): path
// resolution (bench_dir, then one name), a new open file and descriptor, and their release.
// The file is made first in bench_dir (argv, $TMPDIR or /tmp) and removed at the end.
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

static void open_close(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die("open");
  if (close(fd) != 0) die("close");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  const char* path = bench_path("bench.open_close");
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0 || close(fd) != 0) die(path);
  for (int i = 0; i < kWarmup; i++)
    open_close(path);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    open_close(path);
    samples[i] = now() - t0;
  }
  if (unlink(path) != 0) die("unlink");
  report("linux.open_close", samples, n, overhead);
  return 0;
}
