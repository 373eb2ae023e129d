// Declarations shared between the files of the x86-64 port (not part of the arch contract).
#pragma once

#include <stdint.h>

namespace hmk::x86 {

// Interrupt vectors. 0x20..0x2f are where the (masked) legacy PICs are parked.
inline constexpr uint64_t kVectorLapicTimer = 0x30;
inline constexpr uint64_t kVectorSpurious = 0xff;

void lapic_timer_interrupt(bool from_user);
void lapic_eoi();

}  // namespace hmk::x86

namespace hmk::board {

// The board's reference clock for calibration: busy-waits `microseconds` of wall time (on
// QEMU -icount, virtual time).
void calibration_delay_start(uint32_t microseconds);
bool calibration_delay_done();
// Legacy 8259 PICs: moved off the exception vectors and masked.
void disable_legacy_pic();

}  // namespace hmk::board
