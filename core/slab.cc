// Slab caches: frames split into equal blocks, a free list per frame.
#include "core/slab.h"

#include "core/arch.h"
#include "core/kmem.h"
#include "core/lib/util.h"

namespace hmk {

// Header at the start of every slab frame.
struct SlabCache::Page {
  ListNode node;    // in SlabCache::partial_ while it has a free block
  void* free_list;  // singly linked through the first word of each free block
  size_t used;      // blocks handed out
  PhysAddr phys;
  SlabCache* owner;
};

static_assert(sizeof(SlabCache::Page) == SlabCache::kHeaderBytes);
static_assert(SlabCache::kPageBytes == kPageSize);

namespace {
SlabCache::Page* page_of(void* block) {
  return reinterpret_cast<SlabCache::Page*>(
      align_down(reinterpret_cast<uintptr_t>(block), static_cast<uintptr_t>(kPageSize)));
}
SlabCache::Page* page_from_node(ListNode* node) {
  // `node` is the first member of Page.
  return reinterpret_cast<SlabCache::Page*>(node);
}
}  // namespace

Result<void*> SlabCache::allocate() {
  if (per_page_ == 0) return Status::kUnsupported;  // larger than a frame: a caller bug
  Page* page;
  if (partial_.linked()) {
    page = page_from_node(partial_.next);
  } else {
    KernelPage frame = TRY(allocate_zeroed_page());
    page = new (frame.virt) Page{};
    page->phys = frame.phys;
    page->owner = this;
    page->used = 0;
    page->free_list = nullptr;
    char* base = static_cast<char*>(frame.virt) + first_offset_;
    for (size_t i = per_page_; i > 0; --i) {  // block 0 ends up first
      void* block = base + (i - 1) * object_size_;
      *static_cast<void**>(block) = page->free_list;
      page->free_list = block;
    }
    // Link at the head of partial_ (an empty list points at itself).
    page->node.next = partial_.next;
    page->node.prev = &partial_;
    partial_.next->prev = &page->node;
    partial_.next = &page->node;
    ++pages_;
  }
  void* block = page->free_list;
  page->free_list = *static_cast<void**>(block);
  ++page->used;
  ++live_;
  if (page->free_list == nullptr) page->node.unlink();  // full
  return block;
}

void SlabCache::free(void* block) {
  Page* page = page_of(block);
  bool was_full = page->free_list == nullptr;
  *static_cast<void**>(block) = page->free_list;
  page->free_list = block;
  --page->used;
  --live_;
  if (page->used == 0) {
    if (!was_full) page->node.unlink();
    --pages_;
    free_page(page->phys);
    return;
  }
  if (was_full) {
    page->node.next = partial_.next;
    page->node.prev = &partial_;
    partial_.next->prev = &page->node;
    partial_.next = &page->node;
  }
}

}  // namespace hmk
