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

// ---- frames shared by memory objects (copy-on-write) ----
//
// A frame in a memory object normally has one holder: that object. memory_clone makes the
// clone hold the source's frames too, until either writes a page (the writer gets a copy).
// Holders are counted per frame in a table made at boot (4 bytes per frame the allocator
// tracks).

// Makes the table, from the allocator (after its init, before anything is shared); a new one
// each time (host tests start from fresh RAM).
Status init_frame_holders();
// One more holder of `frame`; kOutOfMemory if there is no table, kOutOfRange if the count is at
// its limit.
Status frame_share(PhysAddr frame);
// The number of memory objects holding `frame` (1 for a frame never shared).
uint32_t frame_holders(PhysAddr frame);
// One holder lets go of `frame`: the frame is freed if it was the last.
void frame_release(PhysAddr frame);

}  // namespace hmk
