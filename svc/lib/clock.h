// The CPU's cycle counter for native programs. Under QEMU -icount shift=0 it ticks about once
// per virtual nanosecond (one per instruction), which benchmarks and timing-bounded tests use.
#pragma once

#include <stdint.h>

namespace hmk::rt {

// rdtsc, unfenced: TCG executes in order, and with icount a translation block ends at rdtsc.
inline uint64_t cycle_counter() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return static_cast<uint64_t>(hi) << 32 | lo;
}

}  // namespace hmk::rt
