// The monotonic clock: nanoseconds since boot, from the CPU's cycle counter (under QEMU's
// -icount shift=0, virtual ns). clock_read gives it to user mode; timers (set_timer) use it.
#pragma once

#include <stdint.h>

#include "core/arch.h"

namespace hmk {

inline uint64_t monotonic_ns() {
  const uint64_t cycles = arch::cycle_counter() - arch::boot_entry_cycles();
  const uint64_t hz = arch::cycle_frequency_hz();
  // In two parts so that nothing overflows: whole seconds, then the rest.
  return cycles / hz * 1'000'000'000 + cycles % hz * 1'000'000'000 / hz;
}

}  // namespace hmk
