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
// Dead memory objects with frames left to free, linked through their zombie_node (so that, as
// for every object without references, that node is in a list).
constinit ZombieList g_backlog;
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
  // Decide first: charge the quota (block and frames), then take frames; undo in reverse on
  // failure.
  MemoryObject* m = TRY(create_charged(g_slab, quota, (index_pages + pages) * kPageSize));
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
  size_t budget = kBackgroundStepBudget;
  if (free_frames(&budget)) {
    destroy_empty();
    return;
  }
  g_backlog.push_back(this);
  add_background_work();
}

bool MemoryObject::free_frames(size_t* budget) {
  for (; filled_ > 0 && *budget > 0; --*budget)
    free_page(frames_[--filled_]);
  return filled_ == 0;
}

void MemoryObject::destroy_empty() {
  if (index_pages_ != 0) (void)kernel_frames().free_contiguous(index_phys_, index_pages_);
  g_slab.destroy(this);
}

bool run_memory_backlog(size_t* budget) {
  while (KernelObject* o = g_backlog.front()) {
    auto* m = static_cast<MemoryObject*>(o);
    if (!m->free_frames(budget)) return false;
    ZombieList::remove(m);
    m->destroy_empty();
  }
  return true;
}

bool in_memory_backlog(const MemoryObject* m) {
  return g_backlog.contains(m);
}

}  // namespace hmk
