// The memory figures sysinfo and /proc/meminfo report, from this one place so that they agree.
// They are fixed, not measured: the shim does not ask the kernel how much memory there is, or
// how much is free, yet.
#pragma once

#include <stdint.h>

namespace hmk::lx {

struct MemoryFigures {
  uint64_t total_bytes;
  uint64_t free_bytes;
};

// The total is the shim's quota, which all Linux processes' memory comes out of (the 256M of
// ./hmk exec's manifest line, tools/exec/exec.py); half of it is said to be free.
inline constexpr MemoryFigures memory_figures() {
  return {256ull << 20, 128ull << 20};
}

}  // namespace hmk::lx
