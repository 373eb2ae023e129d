// x86-64 4-level page tables: the kernel's own map (W^X, NX, a direct map of RAM) and user
// address spaces that share its upper half.
#include "core/arch.h"
#include "core/console.h"
#include "core/frame_allocator.h"
#include "core/lib/string.h"
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/layout.h"
#include "platform/x86_64/page_table_prune.h"

extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern "C" char __data_start[], __data_end[], __ksyms_start[], __ksyms_end[];

namespace hmk::x86 {
namespace {

constexpr uint64_t kPtePresent = 1ull << 0;
constexpr uint64_t kPteWrite = 1ull << 1;
constexpr uint64_t kPteUser = 1ull << 2;
constexpr uint64_t kPteWriteThrough = 1ull << 3;
constexpr uint64_t kPteCacheDisable = 1ull << 4;
constexpr uint64_t kPteHuge = 1ull << 7;
constexpr uint64_t kPteGlobal = 1ull << 8;
constexpr uint64_t kPteNoExecute = 1ull << 63;
constexpr uint64_t kPteAddressMask = 0x000f'ffff'ffff'f000ull;

constexpr uint64_t kHugePageSize = 2ull << 20;
constexpr int kEntries = 512;
constexpr int kFirstKernelSlot = 256;  // PML4 slots 256..511 are the kernel half

PhysAddr g_kernel_root = 0;
FrameAllocator* g_frames = nullptr;  // for kernel page tables created after boot (MMIO)
uint64_t g_mmio_next = MMIO_WINDOW_BASE;
uint64_t g_direct_map_size = 0;  // bytes of physical memory the direct map covers

using Table = uint64_t[kEntries];

Table& table_at(PhysAddr phys) {
  return *static_cast<Table*>(arch::phys_to_virt(phys));
}

int index_of(uint64_t virt, int level) {  // level 3 = PML4 ... 0 = PT
  return static_cast<int>((virt >> (12 + 9 * level)) & 0x1ff);
}

uint64_t leaf_bits(uint32_t flags) {
  uint64_t bits = kPtePresent;
  if (flags & kPageWrite) bits |= kPteWrite;
  if (!(flags & kPageExecute)) bits |= kPteNoExecute;
  if (flags & kPageUser) bits |= kPteUser;
  if (flags & kPageUncached) bits |= kPteCacheDisable | kPteWriteThrough;
  if (flags & kPageGlobal) bits |= kPteGlobal;
  return bits;
}

Result<PhysAddr> zeroed_frame(FrameAllocator& frames) {
  PhysAddr frame = TRY(frames.allocate());
  mem_set(arch::phys_to_virt(frame), 0, kPageSize);
  return frame;
}

// Walks from `root` to the table at `stop_level` that covers `virt`, creating missing tables.
// Intermediate entries are as permissive as the leaf may need; the leaf decides.
Result<uint64_t*> walk_create(PhysAddr root, uint64_t virt, int stop_level, bool user,
                              FrameAllocator& frames, size_t* tables_added = nullptr) {
  PhysAddr table = root;
  for (int level = 3; level > stop_level; --level) {
    uint64_t& entry = table_at(table)[index_of(virt, level)];
    if (!(entry & kPtePresent)) {
      PhysAddr next = TRY(zeroed_frame(frames));
      if (tables_added != nullptr) ++*tables_added;
      entry = next | kPtePresent | kPteWrite | (user ? kPteUser : 0);
    } else if (entry & kPteHuge) {
      return Status::kAlreadyExists;  // a huge page already covers this range
    }
    table = entry & kPteAddressMask;
  }
  return &table_at(table)[index_of(virt, stop_level)];
}

Status check_wx(uint32_t flags) {
  return (flags & kPageWrite) && (flags & kPageExecute) ? Status::kPermissionDenied : Status::kOk;
}

Status map_kernel_range(PhysAddr root, const char* start, const char* end, uint32_t flags,
                        FrameAllocator& frames) {
  auto virt = reinterpret_cast<uint64_t>(start);
  for (; virt < reinterpret_cast<uint64_t>(end); virt += kPageSize) {
    uint64_t* pte = TRY(walk_create(root, virt, 0, false, frames));
    *pte = (virt - KERNEL_VMA) | leaf_bits(flags | kPageGlobal);
  }
  return Status::kOk;
}

// The direct map uses 2 MiB pages; it covers [0, size) of physical memory. The 2 MiB pages
// that hold kernel text or read-only data are split into 4 KiB pages so that those frames are
// read-only through the direct map too: no alias of kernel code is ever writable.
Status map_direct(PhysAddr root, uint64_t size, PhysAddr read_only_start, PhysAddr read_only_end,
                  FrameAllocator& frames) {
  for (uint64_t phys = 0; phys < size; phys += kHugePageSize) {
    uint64_t virt = DIRECT_MAP_BASE + phys;
    if (phys + kHugePageSize <= read_only_start || phys >= read_only_end) {
      uint64_t* pde = TRY(walk_create(root, virt, 1, false, frames));
      *pde = phys | kPteHuge | leaf_bits(kPageWrite | kPageGlobal);
      continue;
    }
    for (uint64_t off = 0; off < kHugePageSize; off += kPageSize) {
      uint64_t* pte = TRY(walk_create(root, virt + off, 0, false, frames));
      bool read_only = phys + off >= read_only_start && phys + off < read_only_end;
      *pte = (phys + off) | leaf_bits((read_only ? kPageRead : kPageWrite) | kPageGlobal);
    }
  }
  return Status::kOk;
}

// Frees the page tables below `table` and `table` itself; the frames they map belong to
// memory objects and stay. Bounded: recursion depth is the fixed paging depth (3).
size_t free_table_tree(PhysAddr table, int level, FrameAllocator& frames) {
  size_t freed = 1;
  Table& t = table_at(table);
  for (int i = 0; level > 0 && i < kEntries; ++i) {
    uint64_t entry = t[i];
    if (!(entry & kPtePresent) || (entry & kPteHuge)) continue;
    freed += free_table_tree(entry & kPteAddressMask, level - 1, frames);
  }
  (void)frames.free(table);
  return freed;
}

// Tables at and below `table` (a user-half table at `level`). Bounded: the paging depth.
size_t count_tables(PhysAddr table, int level) {
  size_t n = 1;
  const Table& t = table_at(table);
  const int entries = level == 3 ? kFirstKernelSlot : kEntries;
  for (int i = 0; level > 0 && i < entries; ++i) {
    if ((t[i] & kPtePresent) && !(t[i] & kPteHuge))
      n += count_tables(t[i] & kPteAddressMask, level - 1);
  }
  return n;
}

// The leaf entry for a user page, or nullptr if a table on the way is missing.
uint64_t* find_leaf(PhysAddr root, uint64_t virt) {
  PhysAddr table = root;
  for (int level = 3; level > 0; --level) {
    uint64_t entry = table_at(table)[index_of(virt, level)];
    if (!(entry & kPtePresent) || (entry & kPteHuge)) return nullptr;
    table = entry & kPteAddressMask;
  }
  return &table_at(table)[index_of(virt, 0)];
}

}  // namespace
}  // namespace hmk::x86

namespace hmk::arch {

using namespace x86;

void* Platform::phys_to_virt(PhysAddr phys) {
  return reinterpret_cast<void*>(DIRECT_MAP_BASE + phys);
}

PhysAddr Platform::virt_to_phys_kernel(const void* virt) {
  auto v = reinterpret_cast<uint64_t>(virt);
  return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

Status Platform::init_kernel_paging(const BootInfo& info, FrameAllocator& frames) {
  uint64_t highest = 0;
  for (size_t i = 0; i < info.memory_count; ++i) {
    const MemoryRange& r = info.memory[i];
    if (r.type == MemoryType::kUsable || r.type == MemoryType::kAcpiReclaimable) {
      highest = max(highest, r.base + r.size);
    }
  }
  g_direct_map_size = align_up(highest, kHugePageSize);

  PhysAddr root = TRY(zeroed_frame(frames));
  // The kernel image, section by section, with exactly the rights each needs.
  TRY(map_kernel_range(root, __text_start, __text_end, kPageExecute, frames));
  TRY(map_kernel_range(root, __rodata_start, __rodata_end, kPageRead, frames));
  TRY(map_kernel_range(root, __data_start, __data_end, kPageWrite, frames));
  TRY(map_kernel_range(root, __ksyms_start, __ksyms_end, kPageRead, frames));
  TRY(map_direct(root, g_direct_map_size, reinterpret_cast<uint64_t>(__text_start) - KERNEL_VMA,
                 reinterpret_cast<uint64_t>(__rodata_end) - KERNEL_VMA, frames));

  // Every kernel-half PML4 slot gets its table now, so user address spaces can copy the slots
  // once at creation and still see later kernel mappings (e.g. MMIO).
  for (int slot = kFirstKernelSlot; slot < kEntries; ++slot) {
    uint64_t& entry = table_at(root)[slot];
    if (!(entry & kPtePresent)) entry = TRY(zeroed_frame(frames)) | kPtePresent | kPteWrite;
  }

  write_cr4(read_cr4() | (1ull << 7));  // PGE: global kernel pages survive CR3 switches
  write_cr3(root);
  g_kernel_root = root;
  g_frames = &frames;
  kprint(
      "paging: kernel text RX, rodata R, data RW (NX), W^X also in the direct map; direct map "
      "of %lu MiB at 0x%lx\n",
      g_direct_map_size >> 20, static_cast<uint64_t>(DIRECT_MAP_BASE));
  return Status::kOk;
}

// Device registers get their own window: the direct map uses cacheable huge pages, and a
// device may sit inside the range it covers (e.g. the LAPIC below RAM above 4 GiB).
Result<void*> Platform::map_mmio(PhysAddr phys, size_t size) {
  if (g_frames == nullptr || size == 0) return Status::kInvalidArgument;
  PhysAddr base = align_down(phys, kPageSize);
  uint64_t pages = (align_up(phys + size, kPageSize) - base) / kPageSize;
  if (pages > (MMIO_WINDOW_SIZE - (g_mmio_next - MMIO_WINDOW_BASE)) / kPageSize) {
    return Status::kOutOfRange;
  }
  uint64_t virt = g_mmio_next;
  for (uint64_t i = 0; i < pages; ++i) {
    uint64_t* pte = TRY(walk_create(g_kernel_root, virt + i * kPageSize, 0, false, *g_frames));
    *pte = (base + i * kPageSize) | leaf_bits(kPageWrite | kPageUncached | kPageGlobal);
  }
  g_mmio_next += pages * kPageSize;
  return reinterpret_cast<void*>(virt + (phys - base));
}

Result<AddressSpace> Platform::create_address_space(FrameAllocator& frames) {
  PhysAddr root = TRY(zeroed_frame(frames));
  for (int slot = kFirstKernelSlot; slot < kEntries; ++slot) {
    table_at(root)[slot] = table_at(g_kernel_root)[slot];
  }
  return AddressSpace{root};
}

void Platform::destroy_address_space(AddressSpace& space, FrameAllocator& frames,
                                     size_t* tables_freed) {
  if (space.root == 0) return;
  if (read_cr3() == space.root) write_cr3(g_kernel_root);
  Table& root = table_at(space.root);
  size_t freed = 1;
  for (int slot = 0; slot < kFirstKernelSlot; ++slot) {
    if (root[slot] & kPtePresent) freed += free_table_tree(root[slot] & kPteAddressMask, 2, frames);
  }
  (void)frames.free(space.root);
  space.root = 0;
  *tables_freed += freed;
}

void Platform::unmap_range(AddressSpace& space, uint64_t virt, uint64_t pages,
                           FrameAllocator& frames, size_t* tables_freed) {
  const bool active = read_cr3() == space.root;
  const size_t freed = unmap_and_prune(
      space.root, virt, virt + pages * kPageSize, [](uint64_t phys) { return &table_at(phys)[0]; },
      [&frames](uint64_t phys) { (void)frames.free(phys); },
      [active](uint64_t va) {
        if (active) invlpg(va);
      });
  // INVLPG also drops every paging-structure-cache entry, so a freed table is forgotten too.
  if (active && freed > 0) invlpg(virt);
  *tables_freed += freed;
}

size_t Platform::page_table_count(const AddressSpace& space) {
  return space.root == 0 ? 0 : count_tables(space.root, 3);
}

void Platform::protect_page(AddressSpace& space, uint64_t virt, uint32_t flags) {
  uint64_t* pte = find_leaf(space.root, virt);
  if (pte == nullptr || !(*pte & kPtePresent) || check_wx(flags) != Status::kOk) return;
  *pte = (*pte & kPteAddressMask) | leaf_bits(flags | kPageUser);
  if (read_cr3() == space.root) invlpg(virt);
}

void Platform::replace_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags) {
  uint64_t* pte = find_leaf(space.root, virt);
  if (pte == nullptr || !(*pte & kPtePresent) || check_wx(flags) != Status::kOk) return;
  *pte = phys | leaf_bits(flags | kPageUser);
  if (read_cr3() == space.root) invlpg(virt);
}

Status Platform::map_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags,
                          FrameAllocator& frames, size_t* tables_added) {
  if (!is_aligned(virt, kPageSize) || !is_aligned(phys, kPageSize)) {
    return Status::kInvalidArgument;
  }
  if (virt < kUserLowest || virt >= kUserHighest) return Status::kOutOfRange;
  TRY(check_wx(flags));
  uint64_t* pte = TRY(walk_create(space.root, virt, 0, true, frames, tables_added));
  if (*pte & kPtePresent) return Status::kAlreadyExists;
  *pte = phys | leaf_bits(flags | kPageUser);
  return Status::kOk;
}

Result<PhysAddr> Platform::translate_user(const AddressSpace& space, uint64_t virt,
                                          uint32_t flags) {
  if (virt < kUserLowest || virt >= kUserHighest) return Status::kBadAddress;
  uint64_t need = kPtePresent | kPteUser | ((flags & kPageWrite) ? kPteWrite : 0);
  PhysAddr table = space.root;
  for (int level = 3; level >= 0; --level) {
    uint64_t entry = table_at(table)[index_of(virt, level)];
    if ((entry & need) != need) return Status::kBadAddress;
    if (level == 0) return (entry & kPteAddressMask) + (virt & (kPageSize - 1));
    if (entry & kPteHuge) return Status::kBadAddress;  // user space has no huge pages yet
    table = entry & kPteAddressMask;
  }
  return Status::kBadAddress;
}

}  // namespace hmk::arch
