// Memory objects: frames (eager, lazy or shared copy-on-write) behind a contiguous index.
#include "core/memory_object.h"

#include "core/kmem.h"
#include "core/lib/string.h"
#include "core/quota.h"
#include "core/slab.h"
#include "core/space.h"

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

Result<MemoryObject*> MemoryObject::create_lazy(Quota& quota, uint64_t pages) {
  MemoryObject* m = TRY(create_unfilled(quota, pages));
  mem_set(m->frames_, 0, m->index_pages_ * kPageSize);
  m->lazy_ = true;
  m->filled_ = pages;
  return m;
}

Result<MemoryObject*> MemoryObject::create_clone(Quota& quota, MemoryObject& source) {
  if (!source.filled()) return Status::kInvalidArgument;
  MemoryObject* m = TRY(create_unfilled(quota, source.pages()));
  m->lazy_ = true;
  m->ever_shared_ = true;
  m->clone_source_ = &source;
  source.ever_shared_ = true;
  source.acquire();
  return m;
}

bool MemoryObject::maps_page(const Mapping& m, uint64_t index, uint64_t* vaddr) {
  if (index < m.first_page || index - m.first_page >= m.pages) return false;
  *vaddr = m.vaddr + (index - m.first_page) * kPageSize;
  return true;
}

Status MemoryObject::clone_step(uint64_t budget) {
  MemoryObject& source = *clone_source_;
  for (uint64_t n = 0; n < budget && filled_ < pages_; ++n) {
    const uint64_t index = filled_;
    const PhysAddr frame = source.frames_[index];
    if (frame != 0) {
      TRY(frame_share(frame));
      // Read-only wherever the source maps it writable: its next write makes its own copy.
      // bound: one step per mapping of the source object
      for (Mapping* m = source.mappings_.front(); m != nullptr; m = source.mappings_.next(m)) {
        uint64_t vaddr;
        if ((m->rights & abi::kRightWrite) && maps_page(*m, index, &vaddr)) {
          arch::protect_page(m->space->address_space(), vaddr, source.page_flags(*m, index));
        }
      }
    }
    frames_[filled_++] = frame;
  }
  if (filled_ == pages_) {
    clone_source_ = nullptr;
    source.release();
  }
  return Status::kOk;
}

uint32_t MemoryObject::page_flags(const Mapping& m, uint64_t index) const {
  uint32_t flags = page_flags_for_rights(m.rights);
  if (frame_holders(frames_[index]) > 1) flags &= ~kPageWrite;
  return flags;
}

Result<PhysAddr> MemoryObject::touch(uint64_t index) {
  if (frames_[index] == 0) {
    KernelPage page = TRY(allocate_zeroed_page());
    frames_[index] = page.phys;
  }
  return frames_[index];
}

Status MemoryObject::make_private(uint64_t index) {
  const PhysAddr shared = frames_[index];
  if (frame_holders(shared) > 1) {
    const PhysAddr own = TRY(kernel_frames().allocate());
    mem_copy(arch::phys_to_virt(own), arch::phys_to_virt(shared), kPageSize);
    frame_release(shared);  // another object still holds it
    frames_[index] = own;
  }
  // Every mapping of the page now gets the frame with its own rights (a mapping without the
  // page mapped yet gets it on its first fault).
  // bound: one step per mapping of the object
  for (Mapping* m = mappings_.front(); m != nullptr; m = mappings_.next(m)) {
    uint64_t vaddr;
    if (maps_page(*m, index, &vaddr)) {
      arch::replace_page(m->space->address_space(), vaddr, frames_[index], page_flags(*m, index));
    }
  }
  return Status::kOk;
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
  if (clone_source_ != nullptr) {  // a clone never finished
    clone_source_->release();
    clone_source_ = nullptr;
  }
  size_t budget = kBackgroundStepBudget;
  if (free_frames(&budget)) {
    destroy_empty();
    return;
  }
  g_backlog.push_back(this);
  add_background_work();
}

bool MemoryObject::free_frames(size_t* budget) {
  // bound: --*budget each round (and --filled_)
  for (; filled_ > 0 && *budget > 0; --*budget) {
    const PhysAddr frame = frames_[--filled_];
    if (frame != 0) frame_release(frame);
  }
  return filled_ == 0;
}

void MemoryObject::destroy_empty() {
  if (index_pages_ != 0) (void)kernel_frames().free_contiguous(index_phys_, index_pages_);
  g_slab.destroy(this);
}

bool run_memory_backlog(size_t* budget) {
  // bound: each round empties a backlog object, which leaves it, or returns
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
