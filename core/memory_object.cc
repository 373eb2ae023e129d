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
  MemoryObject* m = TRY(create_unfilled(quota, pages));
  if (Status s = m->fill(pages); s != Status::kOk) {
    m->release();  // destroy() frees whatever was allocated so far
    return s;
  }
  return m;
}

Result<MemoryObject*> MemoryObject::create_unfilled(Quota& quota, uint64_t pages) {
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
  MemoryObject* m = *made;
  Result<PhysAddr> index = kernel_frames().allocate_contiguous(index_pages, 1);
  if (!index.ok()) {
    m->release();
    return Status::kOutOfMemory;
  }
  m->pages_ = pages;
  m->index_phys_ = *index;
  m->index_pages_ = index_pages;
  m->frames_ = static_cast<PhysAddr*>(arch::phys_to_virt(*index));
  return m;
}

Status MemoryObject::fill(uint64_t budget) {
  for (uint64_t n = 0; n < budget && filled_ < pages_; ++n) {
    Result<KernelPage> frame = allocate_zeroed_page();
    if (!frame.ok()) return Status::kOutOfMemory;
    frames_[filled_++] = frame->phys;
  }
  return Status::kOk;
}

void MemoryObject::destroy() {
  for (uint64_t i = 0; i < filled_; ++i)
    free_page(frames_[i]);
  if (index_pages_ != 0) (void)kernel_frames().free_contiguous(index_phys_, index_pages_);
  g_slab.destroy(this);
}

}  // namespace hmk
