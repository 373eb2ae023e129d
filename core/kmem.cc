// The kernel frame allocator instance and page helpers.
#include "core/kmem.h"

#include "core/arch.h"
#include "core/lib/string.h"

namespace hmk {
namespace {
FrameAllocator g_frames;
}  // namespace

FrameAllocator& kernel_frames() {
  return g_frames;
}

Result<KernelPage> allocate_zeroed_page() {
  PhysAddr phys = TRY(g_frames.allocate());
  void* virt = arch::phys_to_virt(phys);
  mem_set(virt, 0, kPageSize);
  return KernelPage{phys, virt};
}

void free_page(PhysAddr phys) {
  (void)g_frames.free(phys);
}

}  // namespace hmk
