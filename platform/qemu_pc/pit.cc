// The 8254 PIT as the calibration clock, and the legacy 8259 PICs (parked and masked).
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/x86_64.h"

namespace hmk::board {
namespace {
constexpr uint32_t kPitHz = 1193182;
constexpr uint16_t kPitChannel2 = 0x42, kPitCommand = 0x43, kPortB = 0x61;
}  // namespace

void calibration_delay_start(uint32_t microseconds) {
  using namespace x86;
  uint32_t count = static_cast<uint32_t>(static_cast<uint64_t>(kPitHz) * microseconds / 1000000);
  if (count > 0xffff) count = 0xffff;
  // Channel 2, gate from port B bit 0, speaker off; mode 0 (interrupt on terminal count),
  // whose output (port B bit 5) goes high when the count runs out.
  outb(kPortB, static_cast<uint8_t>((inb(kPortB) & ~0x02) & ~0x01));
  outb(kPitCommand, 0xb0);
  outb(kPitChannel2, static_cast<uint8_t>(count & 0xff));
  outb(kPitChannel2, static_cast<uint8_t>(count >> 8));
  outb(kPortB, static_cast<uint8_t>(inb(kPortB) | 0x01));  // gate high: start counting
}

bool calibration_delay_done() {
  return (x86::inb(kPortB) & 0x20) != 0;
}

}  // namespace hmk::board
