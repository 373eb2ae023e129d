// The kernel's physical memory: one frame allocator that slabs, memory objects and page
// tables all draw from (through the direct map, arch::phys_to_virt).
#pragma once

#include "core/frame_allocator.h"

namespace hmk {

FrameAllocator& kernel_frames();

// A zeroed frame and its kernel address.
struct KernelPage {
  PhysAddr phys;
  void* virt;
};
Result<KernelPage> allocate_zeroed_page();
void free_page(PhysAddr phys);

}  // namespace hmk
