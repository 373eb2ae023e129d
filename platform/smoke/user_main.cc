// Tiny ring-3 program: no libc, no crt0; `_start` is the entry point.
#include <stdint.h>

#include "platform/smoke/portable.h"

namespace {

volatile uint64_t g_result;
// SSE is allowed in user mode: a double exercises it.
volatile double g_ratio = 1.5;

}  // namespace

extern "C" [[noreturn]] void _start() {
  const uint32_t values[] = {4, 5, 6};
  g_result = hmk_smoke_sum(values, 3) + static_cast<uint64_t>(g_ratio * 2.0);
  for (;;) {
    __builtin_ia32_pause();
  }
}
