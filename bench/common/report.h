// What HMK benchmark programs share: the warm-up, the timing overhead and the statistics
// lines of tools/bench/benchlines.py ("BENCH <name> n= min= median= mean= max="), in rdtsc ticks
// (under QEMU TCG with -icount shift=0, virtual nanoseconds: instructions, not cache effects).
#pragma once

#include <stdint.h>

#include "svc/lib/clock.h"
#include "svc/lib/print.h"

namespace hmk::bench {

// Untimed iterations before the samples of every case, in every benchmark program (the Linux
// ones too: kWarmup in bench/linux/bench.h; tools/bench/bench_test.py checks they agree).
// sel4bench's ipc app on x86-64 makes 80 calls (16, plus 64 for seL4's lazy-FPU heuristic to
// settle) before the one it keeps; 100 covers that. Here only the first iteration of a case is
// slower (HMK: the first call of a pair takes the slow path; Linux: copy-on-write after fork),
// so the margin is for state that settles later, as seL4's FPU does.
inline constexpr int kWarmupRounds = 100;

// How a statistics line is to be read (tools/bench/benchlines.py):
//   kCase         BENCH: a finished case, its overhead already subtracted
//   kRaw          BENCH_RAW: nothing subtracted; the driver subtracts the minimum of the
//                 BENCH_CALIBRATION line of the same name (sel4bench's method)
//   kCalibration  BENCH_CALIBRATION: the same instructions with the system call replaced by a nop
enum class Line { kCase, kRaw, kCalibration };

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
inline void report(const char* name, uint64_t* samples, int n, uint64_t overhead,
                   Line line = Line::kCase) {
  uint64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    samples[i] = samples[i] > overhead ? samples[i] - overhead : 0;
    sum += samples[i];
  }
  sort_samples(samples, n);
  const uint64_t median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  const uint64_t mean = (sum + static_cast<uint64_t>(n) / 2) / static_cast<uint64_t>(n);
  const char* tag = line == Line::kRaw           ? "BENCH_RAW"
                    : line == Line::kCalibration ? "BENCH_CALIBRATION"
                                                 : "BENCH";
  rt::print("%s %s n=%d min=%lu median=%lu mean=%lu max=%lu\n", tag, name, n, samples[0], median,
            mean, samples[n - 1]);
}

}  // namespace hmk::bench
