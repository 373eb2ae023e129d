// Port I/O for user-space drivers (core/syscall.cc checks the IoPorts capability, the range and
// the width before it gets here). The kernel runs at CPL0, so the instructions need no I/O
// permission bitmap; user code itself never executes them (IOPL stays 0).
#include "core/arch.h"
#include "platform/x86_64/cpu.h"

namespace hmk::arch {

uint32_t Platform::port_in(uint16_t port, unsigned width) {
  switch (width) {
    case 1:
      return x86::inb(port);
    case 2:
      return x86::inw(port);
    case 4:
      return x86::inl(port);
    default:
      return 0xffff'ffff;  // not a width the core passes; a floating bus reads all ones
  }
}

void Platform::port_out(uint16_t port, unsigned width, uint32_t value) {
  switch (width) {
    case 1:
      x86::outb(port, static_cast<uint8_t>(value));
      break;
    case 2:
      x86::outw(port, static_cast<uint16_t>(value));
      break;
    case 4:
      x86::outl(port, value);
      break;
    default:
      break;  // not a width the core passes
  }
}

}  // namespace hmk::arch
