// Formatted output for native user programs, through the kernel's debug console.
#pragma once

#include <stdarg.h>

namespace hmk::rt {

// Formats into a line buffer and hands it to the kernel in as few syscalls as possible.
// Returns false if the kernel refused the output.
bool print(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace hmk::rt
