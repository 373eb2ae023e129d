// Declarations shared between the files of the x86-64 port (not part of the arch contract).
#pragma once

#include <stdint.h>

#include "core/arch.h"

namespace hmk::x86 {

// Interrupt vectors. 0x20..0x2f are the legacy PIC lines (arch::kIrqLines of them).
inline constexpr uint64_t kVectorNmi = 2;
inline constexpr uint64_t kVectorDeviceNotAvailable = 7;
inline constexpr uint64_t kVectorPicBase = 0x20;
inline constexpr uint64_t kVectorLapicTimer = 0x30;
inline constexpr uint64_t kVectorSpurious = 0xff;

void lapic_timer_interrupt(bool from_user);
void lapic_eoi();

// #NM: give the FPU/SSE registers to `ctx` (saving the previous owner's), clear CR0.TS.
void fpu_switch_to(arch::UserContext* ctx);
// The reset FPU state and the CPU's MXCSR mask (user.cc), once SSE is on (init_fpu).
void fpu_init();

}  // namespace hmk::x86

namespace hmk::board {

// The board's reference clock for calibration: busy-waits `microseconds` of wall time (on
// QEMU -icount, virtual time).
void calibration_delay_start(uint32_t microseconds);
bool calibration_delay_done();
// Legacy 8259 PICs: moved to vectors 0x20..0x2f, every line masked.
void disable_legacy_pic();
// Acknowledges `line` at the PIC (EOI); false if it was a spurious interrupt (IRQ 7 or 15
// with the in-service bit clear), which needs no handling.
bool pic_acknowledge(uint32_t line);

}  // namespace hmk::board
