// The shim's side of a process's memory inside the kernel (IC0): memory objects and mappings
// through the domain's proxy (rt:: system calls), and their bytes one page at a time through the
// kernel's direct map (kernel_domain_memory_page): no mirrors.
#include "core/kernel_service.h"
#include "linuxcompat/shim.h"
#include "svc/lib/syscall.h"

namespace hmk::lx {

Status ShimBackend::create(uint64_t pages, bool populate, abi::Handle* memory) {
  *memory = TRY(rt::memory_create(pages, populate ? 0 : abi::kMemoryLazy));
  return Status::kOk;
}

Status ShimBackend::clone(abi::Handle source, uint64_t, abi::Handle* memory) {
  *memory = TRY(rt::memory_clone(source));
  return Status::kOk;
}

Status ShimBackend::map_mirror(abi::Handle, uint64_t, bool, uint8_t**) {
  return Status::kUnsupported;  // TODO(pages): replaced by page access
}

void ShimBackend::destroy(abi::Handle memory, uint8_t*, uint64_t) {
  (void)rt::cap_delete(memory);
}

Status ShimBackend::set_mirror_writable(abi::Handle, uint8_t*, uint64_t, bool) {
  return Status::kOk;
}

Status ShimBackend::map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
                        uint32_t rights) {
  return rt::map(space_, memory, vaddr, first_page, pages, rights);
}

Status ShimBackend::unmap(uint64_t vaddr, uint64_t pages) {
  return rt::unmap(space_, vaddr, pages);
}

namespace {
ShimBackend g_file_memory(abi::kNullHandle);
}  // namespace

MemoryBackend& file_memory() {
  return g_file_memory;
}

}  // namespace hmk::lx
