// C++ entry of the x86-64 port: collect boot information, then hand over to the core.
#include "core/arch.h"
#include "core/console.h"
#include "core/kernel.h"
#include "platform/qemu_pc/pvh.h"
#include "platform/x86_64/layout.h"

extern "C" uint64_t hmk_boot_entry_tsc;
extern "C" char __kernel_phys_start[], __kernel_phys_end[];
extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace hmk {
namespace {
BootInfo g_boot_info;
}  // namespace

uint64_t arch::Platform::boot_entry_cycles() {
  return hmk_boot_entry_tsc;
}

}  // namespace hmk

extern "C" [[noreturn]] void x86_64_boot(uint64_t start_info_paddr) {
  using namespace hmk;
  // Static constructors (the kernel avoids them, but a stray one must not silently not run).
  for (auto* ctor = __init_array_start; ctor != __init_array_end; ++ctor)
    (*ctor)();

  g_boot_info.kernel_phys_start = reinterpret_cast<uint64_t>(__kernel_phys_start);
  g_boot_info.kernel_phys_end = reinterpret_cast<uint64_t>(__kernel_phys_end);
  if (board::parse_pvh(start_info_paddr, g_boot_info) != Status::kOk) {
    kprint("boot: cannot continue without boot information\n");
    arch::power_off(arch::PowerOffReason::kFailure);
  }
  kernel_main(g_boot_info);
}
