#include "platform/smoke/portable.h"

uint64_t hmk_smoke_sum(const uint32_t* values, uint64_t n) {
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    total += values[i];
  }
  return total;
}
