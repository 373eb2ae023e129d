// find_boot_cap over whichever bootstrap table boot_info() gives: a process's (bootinfo.cc) or
// the kernel domain's (svc/kernel/rt.cc).
#include "core/lib/string.h"
#include "svc/lib/bootinfo.h"

namespace hmk::rt {
namespace {

// Whether the NUL-padded `field` holds exactly `name`.
bool name_is(const char (&field)[abi::kBootNameMax + 1], const char* name) {
  const size_t n = str_length(name);
  return n <= abi::kBootNameMax && mem_compare(field, name, n) == 0 && field[n] == '\0';
}

}  // namespace

const abi::BootCap* find_boot_cap(const char* name, abi::BootCapKind kind) {
  const abi::BootInfo* info = boot_info();
  if (info == nullptr) return nullptr;
  for (uint32_t i = 0; i < info->count && i < abi::kBootInfoMaxCaps; ++i) {
    const abi::BootCap& cap = info->caps[i];
    if (cap.kind == kind && (name == nullptr || name_is(cap.name, name))) return &cap;
  }
  return nullptr;
}

}  // namespace hmk::rt
