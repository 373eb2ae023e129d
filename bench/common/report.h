// What HMK benchmark programs share: the timing overhead and the statistics line of
// tools/bench/benchlines.py ("BENCH <name> n= min= median= mean= max="), in rdtsc ticks (under
// QEMU TCG with -icount shift=0, virtual nanoseconds: instructions, not cache effects).
#pragma once

#include <stdint.h>

#include "svc/lib/clock.h"
#include "svc/lib/print.h"

namespace hmk::bench {

// The cost of the measurement itself: the smallest of `pairs` back-to-back timestamp pairs.
// Printed as BENCH_OVERHEAD; the cases after it have it subtracted.
inline uint64_t timing_overhead(int pairs = 1000) {
  uint64_t best = ~0ull;
  for (int i = 0; i < pairs; ++i) {
    const uint64_t t0 = rt::cycle_counter();
    const uint64_t t1 = rt::cycle_counter();
    if (t1 - t0 < best) best = t1 - t0;
  }
  rt::print("BENCH_OVERHEAD %lu\n", best);
  return best;
}

// Shell sort with Ciura's gaps: no recursion, no heap, fast enough for thousands of samples.
inline void sort_samples(uint64_t* v, int n) {
  static constexpr int kGaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
  for (int gap : kGaps) {
    for (int i = gap; i < n; ++i) {
      const uint64_t x = v[i];
      int j = i;
      for (; j >= gap && v[j - gap] > x; j -= gap)
        v[j] = v[j - gap];
      v[j] = x;
    }
  }
}

// Subtracts the overhead (clamped at 0), sorts, and prints the statistics line, like
// bench/linux/bench.h does for the Linux baseline.
inline void report(const char* name, uint64_t* samples, int n, uint64_t overhead) {
  uint64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    samples[i] = samples[i] > overhead ? samples[i] - overhead : 0;
    sum += samples[i];
  }
  sort_samples(samples, n);
  const uint64_t median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  const uint64_t mean = (sum + static_cast<uint64_t>(n) / 2) / static_cast<uint64_t>(n);
  rt::print("BENCH %s n=%d min=%lu median=%lu mean=%lu max=%lu\n", name, n, samples[0], median,
            mean, samples[n - 1]);
}

}  // namespace hmk::bench
