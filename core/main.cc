// The core kernel's boot path: memory, CPU, paging, timer, then init starts the programs the
// initrd's manifest names (core/init.cc), which power the machine off after the last.
#include "core/arch.h"
#include "core/console.h"
#include "core/frame_allocator.h"
#include "core/init.h"
#include "core/kernel.h"
#include "core/kmem.h"
#include "core/lib/cpio.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "core/test_hooks.h"

namespace hmk {
namespace {

constexpr uint32_t kTimerHz = 100;
constexpr PhysAddr kLowMemoryEnd = 1ull << 20;  // firmware and legacy devices live below
// Until the kernel's page tables are up, phys_to_virt reaches only the first GiB.
constexpr PhysAddr kEarlyMapLimit = 1ull << 30;

FrameAllocator& g_frames = kernel_frames();

const char* memory_type_name(MemoryType type) {
  switch (type) {
    case MemoryType::kUsable:
      return "usable";
    case MemoryType::kReserved:
      return "reserved";
    case MemoryType::kAcpiReclaimable:
      return "ACPI data";
    case MemoryType::kAcpiNvs:
      return "ACPI NVS";
    case MemoryType::kBad:
      return "bad";
  }
  return "?";
}

bool overlaps(PhysAddr a, uint64_t a_size, PhysAddr b, uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

// Boot loaders need not hand the map over in address order (qboot does not); sort it once so
// every later reader, and the console, sees ascending ranges. At most kMaxMemoryRanges
// entries, so insertion sort is fine.
void sort_memory_map(BootInfo& info) {
  for (size_t i = 1; i < info.memory_count; ++i) {
    MemoryRange key = info.memory[i];
    size_t j = i;
    for (; j > 0 && info.memory[j - 1].base > key.base; --j)
      info.memory[j] = info.memory[j - 1];
    info.memory[j] = key;
  }
}

void print_memory_map(const BootInfo& info) {
  uint64_t usable = 0;
  kprint("memory map (%zu ranges):\n", info.memory_count);
  for (size_t i = 0; i < info.memory_count; ++i) {
    const MemoryRange& r = info.memory[i];
    kprint("  [0x%012lx-0x%012lx] %-9s %8lu KiB\n", r.base, r.base + r.size - 1,
           memory_type_name(r.type), r.size >> 10);
    if (r.type == MemoryType::kUsable) usable += r.size;
  }
  if (info.memory_dropped > 0) kprint("  (%zu more ranges ignored)\n", info.memory_dropped);
  kprint("memory: %lu MiB usable; kernel image 0x%lx-0x%lx; initrd %lu KiB at 0x%lx\n",
         usable >> 20, info.kernel_phys_start, info.kernel_phys_end, info.initrd_size >> 10,
         info.initrd_base);
}

// Everything the frame allocator must never hand out.
struct Reserved {
  PhysAddr base;
  uint64_t size;
};

Status init_frames(const BootInfo& info) {
  PhysAddr highest = 0;
  for (size_t i = 0; i < info.memory_count; ++i) {
    if (info.memory[i].type == MemoryType::kUsable) {
      highest = max(highest, info.memory[i].base + info.memory[i].size);
    }
  }
  const Reserved reserved[] = {
      {0, kLowMemoryEnd},
      {info.kernel_phys_start, info.kernel_phys_end - info.kernel_phys_start},
      {info.initrd_base, info.initrd_size},
      {info.boot_data_base, info.boot_data_size},
  };
  // The bitmap goes into the first usable, reachable range that no reserved range touches.
  uint64_t bitmap_size = align_up(FrameAllocator::bitmap_bytes_for(highest), kPageSize);
  PhysAddr bitmap = 0;
  for (size_t i = 0; i < info.memory_count && bitmap == 0; ++i) {
    const MemoryRange& r = info.memory[i];
    if (r.type != MemoryType::kUsable) continue;
    PhysAddr candidate = align_up(max(r.base, kLowMemoryEnd), kPageSize);
    bool moved = true;
    for (int round = 0; moved && round < 8; ++round) {  // step over reserved ranges
      moved = false;
      // bound: the fixed reserved[] array
      for (const Reserved& res : reserved) {
        if (res.size != 0 && overlaps(candidate, bitmap_size, res.base, res.size)) {
          candidate = align_up(res.base + res.size, kPageSize);
          moved = true;
        }
      }
    }
    if (!moved && candidate + bitmap_size <= r.base + r.size &&
        candidate + bitmap_size <= kEarlyMapLimit) {
      bitmap = candidate;
    }
  }
  if (bitmap == 0) {
    kprint("memory: no room for the frame bitmap (%lu KiB)\n", bitmap_size >> 10);
    return Status::kOutOfMemory;
  }
  TRY(g_frames.init(arch::phys_to_virt(bitmap), bitmap_size, highest));
  for (size_t i = 0; i < info.memory_count; ++i) {
    if (info.memory[i].type == MemoryType::kUsable) {
      g_frames.add_free_range(info.memory[i].base, info.memory[i].size);
    }
  }
  // bound: the fixed reserved[] array
  for (const Reserved& res : reserved) {
    if (res.size != 0) g_frames.reserve_range(res.base, res.size);
  }
  g_frames.reserve_range(bitmap, bitmap_size);
  TRY(init_frame_holders());
  kprint("frames: %zu free of %zu (bitmap %lu KiB at 0x%lx)\n", g_frames.free_count(),
         g_frames.total_count(), bitmap_size >> 10, bitmap);
  return Status::kOk;
}

// Value of `key=` on the command line, or an empty view.
StringView cmdline_value(const char* cmdline, StringView key) {
  StringView rest(cmdline);
  // bound: each round takes one word (or the rest) off rest
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    StringView word = rest.substr(0, space);
    rest.remove_prefix(space == StringView::kNpos ? rest.size() : space + 1);
    if (word.size() > key.size() && word.starts_with(key) && word[key.size()] == '=') {
      return word.substr(key.size() + 1);
    }
  }
  return {};
}

// Whether [base, base + size) lies inside one usable range (so the direct map covers it).
bool in_usable_memory(const BootInfo& info, PhysAddr base, uint64_t size) {
  uint64_t end;
  if (__builtin_add_overflow(base, size, &end)) return false;
  for (size_t i = 0; i < info.memory_count; ++i) {
    const MemoryRange& r = info.memory[i];
    if (r.type == MemoryType::kUsable && base >= r.base && end <= r.base + r.size) return true;
  }
  return false;
}

}  // namespace

void kernel_main(BootInfo& info) {
  kprint("\nHMK microkernel 0.1 (x86_64, qemu_pc), built with clang %s\n", __clang_version__);
  kprint("command line: '%s'\n", info.cmdline);
  sort_memory_map(info);
  print_memory_map(info);
  if (init_frames(info) != Status::kOk) arch::power_off(arch::PowerOffReason::kFailure);

  arch::init_cpu();
  if (Status s = arch::init_kernel_paging(info, g_frames); s != Status::kOk) {
    panic("paging: cannot build the kernel page tables: %s", status_name(s));
  }
  if (Status s = arch::init_timer(kTimerHz); s != Status::kOk) {
    panic("timer: %s", status_name(s));
  }
  arch::enable_interrupts();

  run_test_hook(cmdline_value(info.cmdline, "hmk.test_fault"));
  StringView check = cmdline_value(info.cmdline, "hmk.check");
  if (check == StringView("invariants") && hmk_invariant_check == nullptr) {
    kprint("check: hmk.check=invariants, but this kernel has no checker linked in\n");
  } else if (check == StringView("invariants")) {
    set_invariant_check(&hmk_invariant_check);
    kprint("check: the core's invariants (proofs/) after every kernel entry\n");
  } else if (!check.empty()) {
    kprint("check: unknown hmk.check=%.*s (known: invariants)\n", static_cast<int>(check.size()),
           check.data());
  }

  if (info.initrd_size == 0) {
    kprint("initrd: none given (qemu -initrd); nothing to run\n");
    arch::power_off(arch::PowerOffReason::kFailure);
  }
  if (!in_usable_memory(info, info.initrd_base, info.initrd_size)) {
    kprint("initrd: 0x%lx+0x%lx is not in usable RAM; ignoring it\n", info.initrd_base,
           info.initrd_size);
    arch::power_off(arch::PowerOffReason::kFailure);
  }
  CpioError error;
  auto* initrd_data = static_cast<const uint8_t*>(arch::phys_to_virt(info.initrd_base));
  Result<CpioArchive> initrd = CpioArchive::open(initrd_data, info.initrd_size, &error);
  if (!initrd.ok()) {
    kprint("initrd: corrupt archive (%lu bytes): entry %zu, offset %zu: %s\n", info.initrd_size,
           error.entry_index, error.offset, error.reason != nullptr ? error.reason : "?");
    arch::power_off(arch::PowerOffReason::kFailure);
  }
  kprint("initrd: %zu entries, %lu KiB\n", initrd->entry_count(), info.initrd_size >> 10);

  if (!init_start(*initrd)) arch::power_off(arch::PowerOffReason::kFailure);
  // init_start made the first program's thread ready; from here on the kernel runs only in
  // its entries (core/entry.cc).
  arch::run_threads(idle_entry());
}

}  // namespace hmk
