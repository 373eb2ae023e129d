// COM1 16550 UART, polled, as the kernel console.
#include "core/arch.h"
#include "platform/x86_64/cpu.h"

namespace hmk::board {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint16_t kRegData = 0, kRegIrqEnable = 1, kRegFifo = 2, kRegLineControl = 3,
                   kRegModemControl = 4, kRegLineStatus = 5;
constexpr uint8_t kLineStatusTxEmpty = 1u << 5;

bool g_ready = false;

void init_uart() {
  using x86::outb;
  outb(kCom1 + kRegIrqEnable, 0x00);    // polled: no UART interrupts
  outb(kCom1 + kRegLineControl, 0x80);  // DLAB on: divisor follows
  outb(kCom1 + kRegData, 0x01);         // 115200 baud
  outb(kCom1 + kRegIrqEnable, 0x00);
  outb(kCom1 + kRegLineControl, 0x03);   // 8N1, DLAB off
  outb(kCom1 + kRegFifo, 0xc7);          // FIFOs on, cleared, 14-byte threshold
  outb(kCom1 + kRegModemControl, 0x03);  // DTR, RTS
  g_ready = true;
}

void put(char c) {
  // Bounded wait: a wedged UART must not hang a panic message forever.
  for (int spins = 0; spins < 100000; ++spins) {
    if (x86::inb(kCom1 + kRegLineStatus) & kLineStatusTxEmpty) break;
  }
  x86::outb(kCom1 + kRegData, static_cast<uint8_t>(c));
}

}  // namespace
}  // namespace hmk::board

namespace hmk::arch {

void Platform::console_write(const char* text, size_t len) {
  if (!board::g_ready) board::init_uart();
  for (size_t i = 0; i < len; ++i) {
    if (text[i] == '\n') board::put('\r');
    board::put(text[i]);
  }
}

}  // namespace hmk::arch
