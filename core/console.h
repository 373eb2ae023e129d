// The kernel log: formatted output on the board's console, and panic.
#pragma once

#include <stdarg.h>

namespace hmk {

void kprint(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void vkprint(const char* fmt, va_list args) __attribute__((format(printf, 1, 0)));

// A kernel bug: print the message and a backtrace of the caller, then power off with
// PowerOffReason::kPanic. Never returns.
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace hmk
