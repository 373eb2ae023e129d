// Tiny kernel-mode C++ (freestanding, -mcmodel=kernel, no SSE, no red zone).
#include <stddef.h>
#include <stdint.h>

#include "platform/smoke/portable.h"

namespace {

volatile uint64_t g_result;

}  // namespace

extern "C" void kmain() {
  const uint32_t values[] = {1, 2, 3};
  const unsigned char bytes[] = {'h', 'm', 'k'};
  g_result = hmk_smoke_sum(values, sizeof(values) / sizeof(values[0])) +
             hmk_smoke_asm_add(1, 2) + hmk::smoke::Fnv1a(bytes, sizeof(bytes));
}
