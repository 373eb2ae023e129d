// The bootstrap table's reader: the address comes from the kernel (the first thread's rdi), the
// contents are checked before anyone sees them.
#include "svc/lib/bootinfo.h"

namespace hmk::rt {
namespace {

uint64_t g_address = 0;

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

}  // namespace hmk::rt
