// Compares the two clocks the programs can time with, so every run records which is the
// better one: the cost of one reading (back-to-back pair, min), the smallest step either
// clock ever shows, and the TSC's rate against CLOCK_MONOTONIC over ~20 ms. A rate of 1.000
// means TSC ticks are the guest kernel's nanoseconds; under -icount shift=0 they are also
// QEMU's virtual nanoseconds by construction.
#include "bench.h"

static void measure(const char* name) {
  uint64_t best = UINT64_MAX, step = UINT64_MAX;
  for (int i = 0; i < kOverheadPairs; i++) {
    uint64_t t0 = now();
    uint64_t t1 = now();
    if (t1 - t0 < best) best = t1 - t0;
    // Smallest nonzero step: spin until the clock moves.
    uint64_t t2;
    while ((t2 = now()) == t1) {
    }
    if (t2 - t1 < step) step = t2 - t1;
  }
  printf("BENCH_INFO timer.%s.overhead=%llu timer.%s.step=%llu\n", name, (unsigned long long)best,
         name, (unsigned long long)step);
}

int main(void) {
  printf("BENCH_INFO linux.warmup=%d\n", kWarmup);
  use_monotonic = 0;
  measure("tsc");
  use_monotonic = 1;
  measure("mono");
  uint64_t m0 = monotonic_ns(), c0 = rdtsc();
  while (monotonic_ns() - m0 < 20000000) {
  }
  uint64_t m1 = monotonic_ns(), c1 = rdtsc();
  // Printed as parts per million to stay within integer printf.
  printf("BENCH_INFO timer.tsc_per_mono_ns_ppm=%llu\n",
         (unsigned long long)((c1 - c0) * 1000000u / (m1 - m0)));
  fflush(stdout);
  return 0;
}
