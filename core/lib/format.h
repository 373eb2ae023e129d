// printf-style formatting into a Sink, shared by the kernel console and the native user runtime.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace hmk {

// Where formatted text goes. Writes arrive in pieces (literal runs, padding, digits); a sink that
// needs whole lines must buffer itself. Sinks are never owned or deleted through this interface.
class Sink {
 public:
  virtual void write(const char* s, size_t n) = 0;

 protected:
  ~Sink() = default;
};

// Supported: flags - 0 + space #; width and precision, including *; length modifiers hh h l ll z t
// j; conversions d i u x X o c s p %. No floating point (the kernel has no FP state).
// Differences from glibc, all deliberate:
//  - %s with nullptr prints "(null)" even with a precision below 6 (truncated by the precision);
//  - widths and precisions are clamped to kMaxFormatWidth so a bad format cannot spin for minutes;
//  - an unknown conversion is printed literally, "%" and all, instead of being undefined.
// Like glibc, %p prints 0x<hex> and a null pointer as "(nil)".
inline constexpr int kMaxFormatWidth = 4096;

void format(Sink& sink, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vformat(Sink& sink, const char* fmt, va_list ap) __attribute__((format(printf, 2, 0)));

// Formats into buf, always NUL-terminating when cap > 0. Returns the length the full output has
// (excluding the NUL), so a return value >= cap means the output was truncated.
size_t snformat(char* buf, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
size_t vsnformat(char* buf, size_t cap, const char* fmt, va_list args)
    __attribute__((format(printf, 3, 0)));

}  // namespace hmk
