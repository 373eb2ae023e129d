// What the platform's boot protocol hands the core kernel: memory, initrd, command line.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk {

using PhysAddr = uint64_t;

enum class MemoryType : uint32_t {
  kUsable,
  kReserved,
  kAcpiReclaimable,
  kAcpiNvs,
  kBad,
};

struct MemoryRange {
  PhysAddr base;
  uint64_t size;
  MemoryType type;
};

// Filled by the platform before the core runs. Fixed-size so it lives in .bss and needs no
// allocator; ranges past kMaxMemoryRanges are dropped with a warning by the platform.
struct BootInfo {
  static constexpr size_t kMaxMemoryRanges = 64;
  static constexpr size_t kMaxCmdline = 512;

  MemoryRange memory[kMaxMemoryRanges];
  size_t memory_count;
  size_t memory_dropped;  // ranges the platform could not record

  PhysAddr initrd_base;  // 0 when the boot loader passed no initrd
  uint64_t initrd_size;

  char cmdline[kMaxCmdline];  // NUL-terminated, possibly truncated

  // Physical extent of the loaded kernel image (from the linker script).
  PhysAddr kernel_phys_start;
  PhysAddr kernel_phys_end;
  // Where the boot protocol's own data lives, so the frame allocator keeps its hands off.
  PhysAddr boot_data_base;
  uint64_t boot_data_size;
};

}  // namespace hmk
