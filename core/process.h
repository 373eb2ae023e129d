// Loading a program from the initrd: a static ELF executable becomes a new process (a Space
// with memory objects for its segments and stack, and one thread).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"
#include "core/space.h"

namespace hmk {

// Top of the initial user stack and its size; the page below the stack stays unmapped.
inline constexpr uint64_t kUserStackTop = 0x0000'7fff'ffff'0000;
inline constexpr uint64_t kUserStackPages = 16;

// Validates `image` as a static ELF executable and builds a process for it with a root quota
// of `quota_bytes`: segments and stack mapped, the handles abi::kSelfSpace, kSelfThread and
// kIrqControl installed, the first thread started. On error a one-line reason naming `name`
// is printed and nothing is leaked. The returned Space carries one reference for the caller.
Result<Space*> load_process(StringView name, const uint8_t* image, size_t size,
                            uint64_t quota_bytes);

}  // namespace hmk
