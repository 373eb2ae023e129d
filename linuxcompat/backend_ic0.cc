// The shim's side of a process's memory inside the kernel (IC0): the pages of its memory objects
// one at a time through the kernel's direct map (kernel_domain_memory_page), no mirrors. (The
// objects and mappings themselves are made as in IC2, shim.cc, through the domain's proxy.)
#include "core/kernel_service.h"
#include "linuxcompat/shim.h"
#include "svc/lib/syscall.h"

namespace hmk::lx {

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

namespace {

// Regular files' memory objects (MAP_SHARED): made, reached and deleted through this backend,
// never mapped in a process by it.
ShimBackend g_file_memory(abi::kNullHandle);

}  // namespace

MemoryBackend& file_memory() {
  return g_file_memory;
}

}  // namespace hmk::lx
