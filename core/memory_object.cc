// Memory objects: eagerly allocated, zeroed frames with a contiguous index.
#include "core/memory_object.h"

#include "core/kmem.h"
#include "core/lib/string.h"
#include "core/quota.h"
#include "core/slab.h"

namespace hmk {
namespace {
constinit Slab<MemoryObject> g_slab("MemoryObject");
constexpr uint64_t kEntriesPerPage = kPageSize / sizeof(PhysAddr);
}  // namespace

Result<MemoryObject*> MemoryObject::create(Quota& quota, uint64_t pages) {
  if (pages == 0 || pages > abi::kMaxMemoryPages) return Status::kInvalidArgument;
  const uint64_t index_pages = (pages + kEntriesPerPage - 1) / kEntriesPerPage;
  const uint64_t charge = g_slab.cache().object_size() + (index_pages + pages) * kPageSize;
  // Decide first: charge the quota, then take frames; undo in reverse on failure.
  TRY(quota.charge(charge));
  Result<MemoryObject*> made = g_slab.create(quota, charge);
  if (!made.ok()) {
    quota.uncharge(charge);
    return made.status();
  }
  MemoryObject* m = *made;  // destroy() below frees whatever was allocated so far
  Result<PhysAddr> index = kernel_frames().allocate_contiguous(index_pages, 1);
  if (!index.ok()) {
    m->release();
    return Status::kOutOfMemory;
  }
  m->index_phys_ = *index;
  m->index_pages_ = index_pages;
  m->frames_ = static_cast<PhysAddr*>(arch::phys_to_virt(*index));
  for (uint64_t i = 0; i < pages; ++i) {
    Result<KernelPage> frame = allocate_zeroed_page();
    if (!frame.ok()) {
      m->release();
      return Status::kOutOfMemory;
    }
    m->frames_[i] = frame->phys;
    m->pages_ = i + 1;
  }
  return m;
}

void MemoryObject::destroy() {
  for (uint64_t i = 0; i < pages_; ++i)
    free_page(frames_[i]);
  if (index_pages_ != 0) (void)kernel_frames().free_contiguous(index_phys_, index_pages_);
  g_slab.destroy(this);
}

}  // namespace hmk
