// The shim's side of a process's memory inside the kernel (IC0): memory objects and mappings
// through the domain's proxy (rt:: system calls), and their pages one at a time through the
// kernel's direct map (kernel_domain_memory_page): no mirrors.
#include "core/kernel_service.h"
#include "linuxcompat/shim.h"
#include "svc/lib/syscall.h"

namespace hmk::lx {

// Lazy unless populated: the kernel gives each page its zeroed frame when the process or the
// shim (kernel_domain_memory_page) first touches it.
Status ShimBackend::create(uint64_t pages, bool populate, MemoryObject* object) {
  const abi::Handle memory = TRY(rt::memory_create(pages, populate ? 0 : abi::kMemoryLazy));
  *object = {memory, pages};
  return Status::kOk;
}

Status ShimBackend::clone(const MemoryObject& source, MemoryObject* copy) {
  const abi::Handle memory = TRY(rt::memory_clone(source.handle));
  *copy = {memory, source.pages};
  return Status::kOk;
}

// The frame of the page as the kernel has it now: touched if it was lazy, and for a write made
// the object's own first (a copy-on-write frame is copied, every mapping following). A write
// to an object that is not writable (mapped executable somewhere: W^X) is refused here, as the
// read-only mirror refuses it in IC2.
uint8_t* ShimBackend::page(MemoryObject& object, uint64_t index, PageAccess access) {
  if (index >= object.pages || (access == PageAccess::kWrite && !object.writable)) return nullptr;
  Result<uint8_t*> frame =
      kernel_domain_memory_page(object.handle, index, access == PageAccess::kWrite);
  return frame.ok() ? *frame : nullptr;
}

// Nothing maps the object in the kernel: the shim's own checks (page()) refuse the writes.
Status ShimBackend::set_writable(MemoryObject&, bool) {
  return Status::kOk;
}

void ShimBackend::destroy(MemoryObject& object) {
  (void)rt::cap_delete(object.handle);
  object = {};
}

Status ShimBackend::map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
                        uint32_t rights) {
  return rt::map(space_, memory, vaddr, first_page, pages, rights);
}

Status ShimBackend::unmap(uint64_t vaddr, uint64_t pages) {
  return rt::unmap(space_, vaddr, pages);
}

namespace {

// Regular files' memory objects (MAP_SHARED): made, reached and deleted through this backend,
// never mapped in a process by it.
ShimBackend g_file_memory(abi::kNullHandle);

}  // namespace

MemoryBackend& file_memory() {
  return g_file_memory;
}

}  // namespace hmk::lx
