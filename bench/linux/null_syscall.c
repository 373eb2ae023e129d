// linux.null_syscall: the cheapest round trip into the kernel and back. getppid does no
// work beyond reading a field, and going through syscall(2) keeps libc from caching it.
//
// linux.sel4bench.null_syscall: the same call timed the way sel4bench times seL4's null
// system call (docs/benchmarks.md, "sel4bench's method"): a bare `syscall` instruction between
// two rdtsc reads, printed raw beside the very same instructions with `syscall` replaced by a
// two-byte nop; the driver subtracts the nop version's minimum, which leaves the kernel's own
// instructions (no libc wrapper, no timestamp cost).
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

// One asm statement per variant, from one text, so the compiler cannot put different code
// between the two reads: t0 waits in r8, the result in r9 (the kernel preserves both).
#define TIMED_GETPPID(insn, t0, t1)                          \
  do {                                                       \
    uint64_t t0_, t1_;                                       \
    __asm__ volatile(                                        \
        "rdtsc\n\t"                                          \
        "shl $32, %%rdx\n\t"                                 \
        "or %%rdx, %%rax\n\t"                                \
        "mov %%rax, %%r8\n\t"                                \
        "mov %[nr], %%eax\n\t" insn                          \
        "\n\t"                                               \
        "mov %%rax, %%r9\n\t"                                \
        "rdtsc\n\t"                                          \
        "shl $32, %%rdx\n\t"                                 \
        "or %%rdx, %%rax\n\t"                                \
        "mov %%r8, %[a]\n\t"                                 \
        "mov %%rax, %[b]"                                    \
        : [a] "=r"(t0_), [b] "=r"(t1_)                       \
        : [nr] "i"(SYS_getppid)                              \
        : "rax", "rcx", "rdx", "r8", "r9", "r11", "memory"); \
    (t0) = t0_;                                              \
    (t1) = t1_;                                              \
  } while (0)

static void sel4bench_style(uint64_t* samples, int n) {
  uint64_t t0, t1;
  for (int i = -kWarmup; i < n; i++) {
    TIMED_GETPPID(".byte 0x66, 0x90", t0, t1);
    if (i >= 0) samples[i] = t1 - t0;
  }
  report_line("BENCH_CALIBRATION", "linux.sel4bench.null_syscall", samples, n, 0);
  for (int i = -kWarmup; i < n; i++) {
    TIMED_GETPPID("syscall", t0, t1);
    if (i >= 0) samples[i] = t1 - t0;
  }
  report_line("BENCH_RAW", "linux.sel4bench.null_syscall", samples, n, 0);
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  for (int i = 0; i < kWarmup; i++)
    syscall(SYS_getppid);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    syscall(SYS_getppid);
    samples[i] = now() - t0;
  }
  report("linux.null_syscall", samples, n, overhead);
  sel4bench_style(samples, n);
  return 0;
}
