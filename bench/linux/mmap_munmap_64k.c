// linux.mmap_munmap_64k: mmap(2) of 64 KiB private anonymous read-write memory, never
// touched, then munmap(2): finding and recording a region and removing it again (on Linux no
// page is allocated; where memory is allocated when it is mapped, 16 pages are).
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

enum { kSize = 64 * 1024 };

static void map_unmap(void) {
  void* p = mmap(NULL, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  if (munmap(p, kSize) != 0) die("munmap");
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  for (int i = 0; i < kWarmup; i++)
    map_unmap();
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    map_unmap();
    samples[i] = now() - t0;
  }
  report("linux.mmap_munmap_64k", samples, n, overhead);
  return 0;
}
