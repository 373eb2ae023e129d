// Entry points of the generic core kernel, called by the architecture port.
#pragma once

#include <stdint.h>

#include "core/boot_info.h"

namespace hmk {

// Everything after the port has parsed the boot protocol. Never returns: it powers off.
[[noreturn]] void kernel_main(BootInfo& info);

// The port calls this right before each switch to user mode (for boot-time reporting).
void note_user_entry(uint64_t cycles);

}  // namespace hmk
