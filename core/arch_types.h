// The arch-neutral vocabulary of the arch contract (core/arch.h): what the core, the ports and
// the declaration of their operations (core/arch_platform.h) name.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/boot_info.h"
#include "core/lib/status.h"

namespace hmk {

class FrameAllocator;

// Page permissions in arch-neutral terms; the port turns them into PTE bits. The kernel never
// maps a page both writable and executable (W^X), and anything not marked kExecute is NX.
enum PageFlags : uint32_t {
  kPageRead = 0,  // every present page is readable
  kPageWrite = 1u << 0,
  kPageExecute = 1u << 1,
  kPageUser = 1u << 2,
  kPageUncached = 1u << 3,  // device memory
  kPageGlobal = 1u << 4,    // survives address-space switches (kernel only)
};

inline constexpr uint64_t kPageSize = 4096;

namespace arch {

// Lowest and highest (exclusive) addresses user programs may map.
inline constexpr uint64_t kUserLowest = 0x1000;
inline constexpr uint64_t kUserHighest = 0x0000'7fff'ffff'f000;

// A user address space: the kernel half is shared, the user half is private.
struct AddressSpace {
  PhysAddr root;  // arch page-table root (CR3 on x86-64)
};

// Interrupt lines of the board's interrupt controller.
inline constexpr uint32_t kIrqLines = 16;

enum class PowerOffReason : uint32_t {
  kSuccess,  // the boot ran to completion
  kFailure,  // the kernel could not do what it was asked (e.g. an unusable initrd)
  kPanic,    // a kernel bug or an exception in kernel mode
};

}  // namespace arch
}  // namespace hmk
