// The kernel frame allocator instance and page helpers.
#include "core/kmem.h"

#include "core/arch.h"
#include "core/lib/string.h"

namespace hmk {
namespace {
FrameAllocator g_frames;

// Extra holders per frame (holders - 1), indexed by frame number (init_frame_holders).
uint32_t* g_extra_holders = nullptr;
size_t g_extra_holders_frames = 0;  // frames the table covers

}  // namespace

Status init_frame_holders() {
  const size_t frames = g_frames.total_count();
  const size_t pages = (frames * sizeof(uint32_t) + kPageSize - 1) / kPageSize;
  PhysAddr base = TRY(g_frames.allocate_contiguous(pages, 1));
  g_extra_holders = static_cast<uint32_t*>(arch::phys_to_virt(base));
  mem_set(g_extra_holders, 0, pages * kPageSize);
  g_extra_holders_frames = frames;
  return Status::kOk;
}

namespace {

uint32_t* extra_holders(PhysAddr frame) {
  const size_t index = frame / kPageSize;
  if (g_extra_holders == nullptr || index >= g_extra_holders_frames) return nullptr;
  return &g_extra_holders[index];
}
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

Status frame_share(PhysAddr frame) {
  if (g_extra_holders == nullptr) return Status::kOutOfMemory;
  uint32_t* extra = extra_holders(frame);
  if (extra == nullptr) return Status::kOutOfRange;
  if (*extra == UINT32_MAX - 1) return Status::kOutOfRange;
  ++*extra;
  return Status::kOk;
}

uint32_t frame_holders(PhysAddr frame) {
  const uint32_t* extra = extra_holders(frame);
  return extra == nullptr ? 1 : *extra + 1;
}

void frame_release(PhysAddr frame) {
  uint32_t* extra = extra_holders(frame);
  if (extra != nullptr && *extra > 0) {
    --*extra;
    return;
  }
  free_page(frame);
}

}  // namespace hmk
