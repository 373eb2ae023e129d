// Portable freestanding code shared by host tests, kernel and user smoke
// targets (plain cc_library: no libc, only clang builtin headers).
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// C11 (portable_sum.c): sum of n 32-bit values.
uint64_t hmk_smoke_sum(const uint32_t* values, uint64_t n);

// x86-64 assembly (portable_add.S): a + b.
uint64_t hmk_smoke_asm_add(uint64_t a, uint64_t b);

#ifdef __cplusplus
}

namespace hmk::smoke {

// C++20 (portable.cc): FNV-1a hash of a byte range.
uint64_t Fnv1a(const unsigned char* data, uint64_t size);

}  // namespace hmk::smoke
#endif
