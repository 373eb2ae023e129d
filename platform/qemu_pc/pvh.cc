// The PVH boot protocol (hvm_start_info): memory map, initrd module and command line.
#include "platform/qemu_pc/pvh.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/lib/string.h"

namespace hmk::board {
namespace {

constexpr uint32_t kStartMagic = 0x336ec578;  // "xEn3" with the top bit of 'E' set

struct StartInfo {
  uint32_t magic;
  uint32_t version;
  uint32_t flags;
  uint32_t nr_modules;
  uint64_t modlist_paddr;
  uint64_t cmdline_paddr;
  uint64_t rsdp_paddr;
  // version >= 1
  uint64_t memmap_paddr;
  uint32_t memmap_entries;
  uint32_t reserved;
};
static_assert(sizeof(StartInfo) == 56);

struct Module {
  uint64_t paddr;
  uint64_t size;
  uint64_t cmdline_paddr;
  uint64_t reserved;
};

struct MemmapEntry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
  uint32_t reserved;
};

MemoryType to_memory_type(uint32_t type) {
  switch (type) {
    case 1:
      return MemoryType::kUsable;
    case 3:
      return MemoryType::kAcpiReclaimable;
    case 4:
      return MemoryType::kAcpiNvs;
    case 5:
      return MemoryType::kBad;
    default:
      return MemoryType::kReserved;
  }
}

// Until the kernel's own page tables are up only memory below 1 GiB is mapped; the loader
// keeps its structures low, and anything else is refused rather than dereferenced.
constexpr uint64_t kEarlyMapLimit = 1ull << 30;
bool early_readable(uint64_t paddr, uint64_t size) {
  return paddr != 0 && paddr < kEarlyMapLimit && size <= kEarlyMapLimit - paddr;
}

template <typename T>
const T* early_ptr(uint64_t paddr) {
  return static_cast<const T*>(arch::phys_to_virt(paddr));
}

}  // namespace

Status parse_pvh(uint64_t start_info_paddr, BootInfo& info) {
  if (!early_readable(start_info_paddr, sizeof(StartInfo))) {
    kprint("pvh: start info at 0x%lx is not readable\n", start_info_paddr);
    return Status::kInvalidArgument;
  }
  const StartInfo& si = *early_ptr<StartInfo>(start_info_paddr);
  if (si.magic != kStartMagic) {
    kprint("pvh: bad start info magic 0x%x (not booted through PVH?)\n", si.magic);
    return Status::kCorrupt;
  }
  info.boot_data_base = start_info_paddr;
  info.boot_data_size = sizeof(StartInfo);

  if (si.cmdline_paddr != 0 && early_readable(si.cmdline_paddr, 1)) {
    const char* cmdline = early_ptr<char>(si.cmdline_paddr);
    size_t i = 0;
    for (; i + 1 < BootInfo::kMaxCmdline && cmdline[i] != '\0'; ++i)
      info.cmdline[i] = cmdline[i];
    info.cmdline[i] = '\0';
  }

  if (si.version < 1 || si.memmap_entries == 0 ||
      !early_readable(si.memmap_paddr, uint64_t{si.memmap_entries} * sizeof(MemmapEntry))) {
    kprint("pvh: the loader passed no memory map (start info version %u)\n", si.version);
    return Status::kUnsupported;
  }
  const auto* map = early_ptr<MemmapEntry>(si.memmap_paddr);
  for (uint32_t i = 0; i < si.memmap_entries; ++i) {
    if (info.memory_count == BootInfo::kMaxMemoryRanges) {
      ++info.memory_dropped;
      continue;
    }
    info.memory[info.memory_count++] = {map[i].addr, map[i].size, to_memory_type(map[i].type)};
  }

  if (si.nr_modules > 0 && early_readable(si.modlist_paddr, sizeof(Module))) {
    const Module& m = *early_ptr<Module>(si.modlist_paddr);
    info.initrd_base = m.paddr;
    info.initrd_size = m.size;
  }
  return Status::kOk;
}

}  // namespace hmk::board
