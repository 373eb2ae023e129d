// linux.anon_fault: the first write to each page of a fresh private anonymous mapping of n
// pages; one sample is one page. On Linux that is a page fault (allocate and clear a page, map
// it); where memory is allocated when it is mapped (HMK's shim today) it is a plain store, and
// the cost sits in mmap instead. Huge pages are declined (MADV_NOHUGEPAGE; an error is fine
// where there are none), so each 4 KiB page faults on its own.
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

enum { kPage = 4096 };

static volatile char* map_pages(int pages) {
  size_t size = (size_t)pages * kPage;
  char* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  madvise(p, size, MADV_NOHUGEPAGE);
  return p;
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  volatile char* warm = map_pages(kWarmup);
  for (int i = 0; i < kWarmup; i++)
    warm[(size_t)i * kPage] = 1;
  if (munmap((void*)warm, (size_t)kWarmup * kPage) != 0) die("munmap");
  volatile char* pages = map_pages(n);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    pages[(size_t)i * kPage] = 1;
    samples[i] = now() - t0;
  }
  report("linux.anon_fault", samples, n, overhead);
  return 0;
}
