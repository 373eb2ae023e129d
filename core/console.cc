// Kernel log output through arch::console_write.
#include "core/console.h"

#include "core/arch.h"
#include "core/lib/format.h"

namespace hmk {
namespace {

class ConsoleSink final : public Sink {
 public:
  void write(const char* s, size_t n) override { arch::console_write(s, n); }
};

// Guards against a panic while panicking (e.g. a fault inside the backtrace walker).
bool g_panicking = false;

}  // namespace

void vkprint(const char* fmt, va_list args) {
  ConsoleSink sink;
  vformat(sink, fmt, args);
}

void kprint(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vkprint(fmt, args);
  va_end(args);
}

void panic(const char* fmt, ...) {
  arch::disable_interrupts();
  if (g_panicking) {
    kprint("\nPANIC: nested panic; halting\n");
    arch::power_off(arch::PowerOffReason::kPanic);
  }
  g_panicking = true;
  kprint("\nPANIC: ");
  va_list args;
  va_start(args, fmt);
  vkprint(fmt, args);
  va_end(args);
  kprint("\n");
  // The chain starts at panic's own frame, so the first entry is panic's caller.
  arch::print_backtrace(reinterpret_cast<uint64_t>(__builtin_frame_address(0)), 0);
  arch::power_off(arch::PowerOffReason::kPanic);
}

}  // namespace hmk
