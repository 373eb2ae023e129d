// The bootstrap table's reader: the address comes from the kernel (the first thread's rdi), the
// contents are checked before anyone sees them.
#include "svc/lib/bootinfo.h"

#include "core/lib/string.h"

namespace hmk::rt {
namespace {

uint64_t g_address = 0;

// Whether the NUL-padded `field` holds exactly `name`.
bool name_is(const char (&field)[abi::kBootNameMax + 1], const char* name) {
  const size_t n = str_length(name);
  return n <= abi::kBootNameMax && mem_compare(field, name, n) == 0 && field[n] == '\0';
}

}  // namespace

namespace detail {
void set_boot_info_address(uint64_t address) {
  g_address = address;
}
}  // namespace detail

const abi::BootInfo* boot_info() {
  if (g_address != abi::kBootInfoAddress) return nullptr;
  const auto* info = reinterpret_cast<const abi::BootInfo*>(g_address);
  if (info->magic != abi::kBootInfoMagic || info->version != abi::kBootInfoVersion ||
      info->count > abi::kBootInfoMaxCaps) {
    return nullptr;
  }
  return info;
}

const abi::BootCap* find_boot_cap(const char* name, abi::BootCapKind kind) {
  const abi::BootInfo* info = boot_info();
  if (info == nullptr) return nullptr;
  for (uint32_t i = 0; i < info->count; ++i) {
    const abi::BootCap& cap = info->caps[i];
    if (cap.kind == kind && (name == nullptr || name_is(cap.name, name))) return &cap;
  }
  return nullptr;
}

}  // namespace hmk::rt
