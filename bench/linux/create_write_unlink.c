// linux.create_write_unlink: open(2) O_CREAT|O_WRONLY|O_TRUNC of a new file in bench_dir
// (argv, $TMPDIR or /tmp), write(2) of 4 KiB, close(2), unlink(2): a temporary file's whole
// life in a tmpfs.
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

static char buffer[4096];

static void create_write_unlink(const char* path) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) die("open");
  if (write(fd, buffer, sizeof(buffer)) != (ssize_t)sizeof(buffer)) die("write");
  if (close(fd) != 0) die("close");
  if (unlink(path) != 0) die("unlink");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  memset(buffer, 'x', sizeof(buffer));
  const char* path = bench_path("bench.create_write_unlink");
  for (int i = 0; i < kWarmup; i++)
    create_write_unlink(path);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    create_write_unlink(path);
    samples[i] = now() - t0;
  }
  report("linux.create_write_unlink", samples, n, overhead);
  return 0;
}
