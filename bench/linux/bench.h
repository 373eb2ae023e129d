// Shared timing and statistics for the Linux baseline programs (static musl, see
// docs/benchmarks.md). Each program includes this once; everything is static.
//
// Under QEMU TCG with -icount shift=0 the TSC is QEMU's virtual clock, which advances one
// nanosecond per guest instruction, so a raw rdtsc difference already is virtual ns: no
// conversion, and no dependence on the guest kernel's TSC calibration. CLOCK_MONOTONIC is
// kept as the alternative ("mono" on the command line) so the two can be compared.
#ifndef HMK_BENCH_LINUX_BENCH_H_
#define HMK_BENCH_LINUX_BENCH_H_

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// kWarmup: untimed iterations before the samples, the same number as HMK's programs use
// (kWarmupRounds in bench/common/report.h, where the choice is explained).
enum { kDefaultSamples = 1000, kWarmup = 100, kOverheadPairs = 1000 };

static int use_monotonic;  // 0: rdtsc (default), 1: clock_gettime(CLOCK_MONOTONIC)
// Where the file system cases make their files: an absolute path on the command line, else
// $TMPDIR, else /tmp (a tmpfs in the Linux initramfs, the shim's tmpfs root on HMK).
static const char* bench_dir;

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  // No fence: TCG executes in order, and with icount the TB ends at rdtsc, so the count it
  // reads is exact at this instruction.
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now(void) {
  return use_monotonic ? monotonic_ns() : rdtsc();
}

static inline void die(const char* what) {
  perror(what);
  exit(1);
}

// argv: [n] [tsc|mono] [/dir]. All optional, so the initramfs can run the programs bare.
static inline int parse_args(int argc, char** argv) {
  int n = kDefaultSamples;
  bench_dir = getenv("TMPDIR");
  if (bench_dir == NULL || bench_dir[0] == '\0') bench_dir = "/tmp";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "mono") == 0) {
      use_monotonic = 1;
    } else if (strcmp(argv[i], "tsc") == 0) {
      use_monotonic = 0;
    } else if (argv[i][0] == '/') {
      bench_dir = argv[i];
    } else {
      n = atoi(argv[i]);
      if (n < 1) {
        fprintf(stderr, "usage: %s [n] [tsc|mono] [/dir]\n", argv[0]);
        exit(2);
      }
    }
  }
  return n;
}

// bench_dir/name, for the file system cases.
static inline const char* bench_path(const char* name) {
  static char path[4096];
  if (snprintf(path, sizeof(path), "%s/%s", bench_dir, name) >= (int)sizeof(path)) {
    fprintf(stderr, "path too long: %s/%s\n", bench_dir, name);
    exit(2);
  }
  return path;
}

static inline uint64_t* alloc_samples(int n) {
  uint64_t* s = calloc((size_t)n, sizeof(*s));
  if (s == NULL) die("calloc");
  return s;
}

// The cost of the measurement itself: the smallest of many back-to-back timestamp pairs.
// Subtracting the minimum (not the mean) removes only what every sample certainly paid.
static inline uint64_t timing_overhead(void) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < kOverheadPairs; i++) {
    uint64_t t0 = now();
    uint64_t t1 = now();
    if (t1 - t0 < best) best = t1 - t0;
  }
  printf("BENCH_OVERHEAD %llu\n", (unsigned long long)best);
  return best;
}

static inline int compare_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return (x > y) - (x < y);
}

// Prints one statistics line that tools/bench/benchlines.py parses: `line` is "BENCH" (a
// finished case), "BENCH_RAW" or "BENCH_CALIBRATION" (sel4bench's method: the driver subtracts
// the calibration's minimum from the raw figures). Samples are raw timestamp differences; the
// overhead comes off each (clamped at 0) before the statistics.
static inline void report_line(const char* line, const char* name, uint64_t* samples, int n,
                               uint64_t overhead) {
  unsigned __int128 sum = 0;
  for (int i = 0; i < n; i++) {
    samples[i] = samples[i] > overhead ? samples[i] - overhead : 0;
    sum += samples[i];
  }
  qsort(samples, (size_t)n, sizeof(*samples), compare_u64);
  uint64_t median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  uint64_t mean = (uint64_t)((sum + (unsigned)n / 2) / (unsigned)n);
  printf("%s %s n=%d min=%llu median=%llu mean=%llu max=%llu\n", line, name, n,
         (unsigned long long)samples[0], (unsigned long long)median, (unsigned long long)mean,
         (unsigned long long)samples[n - 1]);
  fflush(stdout);
}

static inline void report(const char* name, uint64_t* samples, int n, uint64_t overhead) {
  report_line("BENCH", name, samples, n, overhead);
}

#endif  // HMK_BENCH_LINUX_BENCH_H_
