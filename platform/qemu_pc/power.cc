// Power-off: QEMU's isa-debug-exit device when present (the host reads the status), else ACPI.
#include "core/arch.h"
#include "platform/x86_64/cpu.h"

namespace hmk::arch {

// isa-debug-exit (iobase 0xf4, iosize 4) makes QEMU exit with (value << 1) | 1, so the host
// sees 33 for success, 35 for failure and 37 for a panic (tools/qemu/run.py maps them back).
inline constexpr uint16_t kDebugExitPort = 0xf4;
inline constexpr uint32_t kDebugExitBase = 0x10;

void Platform::power_off(PowerOffReason reason) {
  x86::cli();
  x86::outl(kDebugExitPort, kDebugExitBase + static_cast<uint32_t>(reason));
  // No debug-exit device: ACPI S5 through the PM1a control block QEMU's pc and q35 boards
  // place at 0x604 (SLP_EN, SLP_TYP 0).
  asm volatile("outw %0, %1" : : "a"(static_cast<uint16_t>(0x2000)), "Nd"(uint16_t{0x604}));
  halt();
}

void Platform::halt() {
  for (;;) {
    x86::cli();
    x86::hlt();
  }
}

}  // namespace hmk::arch
