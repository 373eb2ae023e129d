// A user program loaded from the initrd into its own address space, run to completion.
//
// This is the boot-time shape of a process: one thread, run synchronously by the kernel's
// boot path. Threads, scheduling and IPC replace the synchronous run in the core-kernel work.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "core/lib/string.h"

namespace hmk {

class FrameAllocator;

struct Process {
  StringView name;
  arch::AddressSpace space;
  uint64_t entry;
  uint64_t stack_top;
};

// Top of the initial user stack and its size; the page below the stack stays unmapped.
inline constexpr uint64_t kUserStackTop = 0x0000'7fff'ffff'0000;
inline constexpr uint64_t kUserStackPages = 16;

// Validates `image` as a static ELF executable and builds its address space. On error a
// one-line reason naming `name` is printed and nothing is leaked.
Result<Process> load_process(StringView name, const uint8_t* image, size_t size,
                             FrameAllocator& frames);
// Runs the process until it exits or faults, then frees its address space.
UserOutcome run_process(Process& process, FrameAllocator& frames);

// The process whose system call is being handled, or nullptr.
Process* current_process();

}  // namespace hmk
