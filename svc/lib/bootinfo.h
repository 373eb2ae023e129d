// The bootstrap table (core/abi/bootinfo.h): what the boot manifest gave this process, by name.
//
//   const abi::BootCap* console = rt::find_boot_cap("console", abi::BootCapKind::kService);
//   if (console != nullptr) rt::call(console->handle, regs);
#pragma once

#include "core/abi/bootinfo.h"

namespace hmk::rt {

// The table the kernel mapped for this process, or nullptr if there is none (a process not
// started from the boot manifest, e.g. an rt::Child) or its magic or version is not this
// runtime's.
const abi::BootInfo* boot_info();

// The first entry of the table named `name` with `kind`, or nullptr (also without a table).
// A null `name` matches any name (e.g. a domain's one kEndpoint entry).
const abi::BootCap* find_boot_cap(const char* name, abi::BootCapKind kind);

namespace detail {
// Start-up (start.cc) passes on what the kernel put in the first thread's rdi: the table's
// address for manifest processes, 0 otherwise.
void set_boot_info_address(uint64_t address);
}  // namespace detail

}  // namespace hmk::rt
