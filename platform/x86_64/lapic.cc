// Local APIC: the periodic timer (calibrated against the board clock) and end-of-interrupt.
#include "core/arch.h"
#include "core/console.h"
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/x86_64.h"

namespace hmk::x86 {
namespace {

constexpr uint32_t kRegEoi = 0xb0;
constexpr uint32_t kRegSpurious = 0xf0;
constexpr uint32_t kRegLvtTimer = 0x320;
constexpr uint32_t kRegLvtLint0 = 0x350;
constexpr uint32_t kRegLvtLint1 = 0x360;
constexpr uint32_t kRegTimerInitial = 0x380;
constexpr uint32_t kRegTimerCurrent = 0x390;
constexpr uint32_t kRegTimerDivide = 0x3e0;

constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtPeriodic = 1u << 17;
constexpr uint32_t kLvtExtInt = 0x7u << 8;  // delivery mode: the 8259's INTA cycle names the vector
constexpr uint32_t kLvtNmi = 0x4u << 8;
constexpr uint32_t kDivideBy16 = 0x3;
// Long enough for a 0.1% estimate from the 1.193 MHz PIT, short enough not to show in boot time.
constexpr uint32_t kCalibrationUs = 2000;

volatile uint32_t* g_lapic = nullptr;
volatile uint64_t g_ticks = 0;
volatile uint64_t g_user_ticks = 0;  // ticks that interrupted user mode
uint64_t g_cycle_hz = 0;

uint32_t read_reg(uint32_t reg) {
  return g_lapic[reg / 4];
}
void write_reg(uint32_t reg, uint32_t value) {
  g_lapic[reg / 4] = value;
}

}  // namespace

void lapic_eoi() {
  if (g_lapic != nullptr) write_reg(kRegEoi, 0);
}

void lapic_timer_interrupt(bool from_user) {
  g_ticks = g_ticks + 1;
  if (from_user) g_user_ticks = g_user_ticks + 1;
  lapic_eoi();
}

}  // namespace hmk::x86

namespace hmk::arch {

using namespace x86;

Status Platform::init_timer(uint32_t hz) {
  if (hz == 0 || hz > 10000) return Status::kInvalidArgument;
  board::disable_legacy_pic();
  if (!(cpuid(1).edx & (1u << 9))) {
    kprint("lapic: this CPU has no local APIC\n");
    return Status::kUnsupported;
  }
  uint64_t base = rdmsr(kMsrApicBase);
  wrmsr(kMsrApicBase, base | (1u << 11));  // globally enabled
  void* regs = TRY(map_mmio(base & 0xffff'f000, 4096));
  g_lapic = static_cast<volatile uint32_t*>(regs);
  write_reg(kRegSpurious, 0x100 | kVectorSpurious);  // software enable
  // Virtual-wire mode: the legacy PIC's output reaches the CPU through LINT0, NMIs through
  // LINT1. The firmware need not have set this up (qboot does not); without it no PIC line
  // (Irq objects, platform/qemu_pc/pic.cc) would ever interrupt.
  write_reg(kRegLvtLint0, kLvtExtInt);
  write_reg(kRegLvtLint1, kLvtNmi);

  // Calibrate: count LAPIC timer ticks and TSC cycles over a fixed board-clock interval.
  write_reg(kRegTimerDivide, kDivideBy16);
  write_reg(kRegLvtTimer, kLvtMasked | kVectorLapicTimer);
  board::calibration_delay_start(kCalibrationUs);
  uint64_t tsc0 = rdtsc();
  write_reg(kRegTimerInitial, 0xffffffff);
  while (!board::calibration_delay_done())
    pause();
  uint32_t elapsed = 0xffffffff - read_reg(kRegTimerCurrent);
  uint64_t tsc1 = rdtsc();
  write_reg(kRegTimerInitial, 0);
  if (elapsed == 0) {
    kprint("lapic: timer did not count during calibration\n");
    return Status::kUnsupported;
  }
  uint64_t lapic_hz = static_cast<uint64_t>(elapsed) * (1000000 / kCalibrationUs);
  g_cycle_hz = (tsc1 - tsc0) * (1000000 / kCalibrationUs);

  write_reg(kRegLvtTimer, kLvtPeriodic | kVectorLapicTimer);
  write_reg(kRegTimerInitial, static_cast<uint32_t>(lapic_hz / hz));
  kprint("timer: LAPIC %lu kHz (after /16), TSC %lu MHz, periodic at %u Hz\n", lapic_hz / 1000,
         g_cycle_hz / 1000000, hz);
  return Status::kOk;
}

uint64_t Platform::timer_ticks() {
  return g_ticks;
}
uint64_t Platform::timer_ticks_in_user_mode() {
  return g_user_ticks;
}
uint64_t Platform::cycle_counter() {
  return rdtsc();
}
uint64_t Platform::cycle_frequency_hz() {
  return g_cycle_hz;
}

void Platform::enable_interrupts() {
  sti();
}
void Platform::disable_interrupts() {
  cli();
}
void Platform::wait_for_interrupt() {
  asm volatile("sti; hlt" ::: "memory");
}

}  // namespace hmk::arch
