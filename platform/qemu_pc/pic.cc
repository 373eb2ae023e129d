// The legacy 8259 PIC pair: ISA interrupt lines 0-15 on vectors 0x20-0x2f, each masked until
// an Irq object is bound to it (core/irq.cc).
#include "core/arch.h"
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/x86_64.h"

namespace hmk {
namespace {

constexpr uint16_t kMasterCommand = 0x20;
constexpr uint16_t kMasterData = 0x21;
constexpr uint16_t kSlaveCommand = 0xa0;
constexpr uint16_t kSlaveData = 0xa1;
constexpr uint8_t kEndOfInterrupt = 0x20;
constexpr uint8_t kReadIsr = 0x0b;
constexpr uint32_t kCascadeLine = 2;

uint16_t g_mask = 0xffff;  // bit set = line masked

void write_mask() {
  // The slave's lines reach the CPU through the master's cascade line.
  uint16_t mask = g_mask;
  if ((mask & 0xff00) != 0xff00) mask &= static_cast<uint16_t>(~(1u << kCascadeLine));
  x86::outb(kMasterData, static_cast<uint8_t>(mask));
  x86::outb(kSlaveData, static_cast<uint8_t>(mask >> 8));
}

}  // namespace

namespace board {

void disable_legacy_pic() {
  using x86::outb;
  // ICW1..ICW4: vectors 0x20..0x2f (so a stray IRQ is not taken for an exception), then mask.
  outb(kMasterCommand, 0x11);
  outb(kSlaveCommand, 0x11);
  outb(kMasterData, 0x20);
  outb(kSlaveData, 0x28);
  outb(kMasterData, 0x04);
  outb(kSlaveData, 0x02);
  outb(kMasterData, 0x01);
  outb(kSlaveData, 0x01);
  g_mask = 0xffff;
  write_mask();
}

bool pic_acknowledge(uint32_t line) {
  // A spurious IRQ 7 / 15 has its in-service bit clear and must not be acknowledged (for 15
  // the master still saw the cascade interrupt and needs its EOI).
  if (line == 7 || line == 15) {
    uint16_t port = line == 7 ? kMasterCommand : kSlaveCommand;
    x86::outb(port, kReadIsr);
    if ((x86::inb(port) & 0x80) == 0) {
      if (line == 15) x86::outb(kMasterCommand, kEndOfInterrupt);
      return false;
    }
  }
  if (line >= 8) x86::outb(kSlaveCommand, kEndOfInterrupt);
  x86::outb(kMasterCommand, kEndOfInterrupt);
  return true;
}

}  // namespace board

namespace arch {

bool Platform::irq_line_available(uint32_t line) {
  // Line 2 is the cascade. Line 0 is the PIT's channel 0, which QEMU's PIT (and any PC BIOS)
  // runs free at 18.2 Hz from reset; the kernel does not use it (it calibrates with channel 2
  // and ticks with the LAPIC timer), so user space may own it like any device line.
  return line < kIrqLines && line != kCascadeLine;
}

void Platform::irq_mask(uint32_t line) {
  if (line >= kIrqLines) return;
  g_mask = static_cast<uint16_t>(g_mask | (1u << line));
  write_mask();
}

void Platform::irq_unmask(uint32_t line) {
  if (!irq_line_available(line)) return;
  g_mask = static_cast<uint16_t>(g_mask & ~(1u << line));
  write_mask();
}

}  // namespace arch
}  // namespace hmk
