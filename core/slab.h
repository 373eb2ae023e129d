// Per-type slab allocators over whole frames: kernel objects never come from a general heap.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/placement_new.h"
#include "core/lib/status.h"
#include "core/lib/util.h"
#include "core/list.h"

namespace hmk {

// Fixed-size blocks carved from frames of the kernel frame allocator (kernel_frames()). A
// frame starts with a SlabPage header; a frame whose last block is freed goes back at once,
// so an idle system holds no slab memory and the boot-time leak check stays exact.
class SlabCache {
 public:
  constexpr SlabCache(const char* name, size_t object_size, size_t alignment)
      : name_(name),
        object_size_(align_up(max(object_size, sizeof(void*)), max(alignment, sizeof(void*)))),
        first_offset_(align_up(kHeaderBytes, max(alignment, sizeof(void*)))),
        per_page_(object_size_ <= kPageBytes - first_offset_
                      ? (kPageBytes - first_offset_) / object_size_
                      : 0) {}

  Result<void*> allocate();
  void free(void* block);

  const char* name() const { return name_; }
  size_t object_size() const { return object_size_; }
  size_t blocks_per_page() const { return per_page_; }
  size_t pages() const { return pages_; }
  size_t live_blocks() const { return live_; }

  struct Page;
  static constexpr size_t kPageBytes = 4096;
  static constexpr size_t kHeaderBytes = 48;  // sizeof(Page), checked in slab.cc

 private:
  const char* name_;
  size_t object_size_;
  size_t first_offset_;  // of block 0 inside the frame, after the header
  size_t per_page_;
  size_t pages_ = 0;
  size_t live_ = 0;
  ListNode partial_;  // pages with at least one free block (through Page::node)
};

// A typed front end: Slab<Thread>::create(args...) runs the constructor in a fresh block.
template <typename T>
class Slab {
 public:
  explicit constexpr Slab(const char* name) : cache_(name, sizeof(T), alignof(T)) {}

  template <typename... Args>
  Result<T*> create(Args&&... args) {
    void* block = TRY(cache_.allocate());
    return new (block) T(forward<Args>(args)...);
  }
  void destroy(T* object) {
    object->~T();
    cache_.free(object);
  }
  const SlabCache& cache() const { return cache_; }

 private:
  SlabCache cache_;
};

}  // namespace hmk
