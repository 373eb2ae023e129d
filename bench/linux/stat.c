// linux.stat: stat(2) of an existing regular file: path resolution (bench_dir, then one name)
// and the copy of a struct stat out. The file is made first in bench_dir (argv, $TMPDIR or
// /tmp) and removed at the end.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

static void stat_once(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) die("stat");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  const char* path = bench_path("bench.stat");
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0 || close(fd) != 0) die(path);
  for (int i = 0; i < kWarmup; i++)
    stat_once(path);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    stat_once(path);
    samples[i] = now() - t0;
  }
  if (unlink(path) != 0) die("unlink");
  report("linux.stat", samples, n, overhead);
  return 0;
}
