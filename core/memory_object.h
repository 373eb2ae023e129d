// Memory objects: a fixed number of zeroed physical pages that can be mapped into spaces.
#pragma once

#include <stdint.h>

#include "core/arch.h"
#include "core/object.h"

namespace hmk {

class MemoryObject final : public KernelObject {
 public:
  // `pages` zeroed frames (1..abi::kMaxMemoryPages), all charged to `quota`.
  static Result<MemoryObject*> create(Quota& quota, uint64_t pages);
  // The same in steps, for system calls that must stay preemptible: create_unfilled charges
  // everything and makes the index; fill() then allocates and zeroes up to `budget` frames a
  // call until filled(). Only a filled object may be mapped or handed out.
  static Result<MemoryObject*> create_unfilled(Quota& quota, uint64_t pages);
  Status fill(uint64_t budget);
  bool filled() const { return filled_ == pages_; }
  void destroy();

  uint64_t pages() const { return pages_; }
  PhysAddr frame(uint64_t index) const { return frames_[index]; }

 private:
  template <typename T>
  friend class Slab;
  MemoryObject(Quota& quota, uint64_t charged)
      : KernelObject(ObjectType::kMemory, &quota, charged) {}

  uint64_t pages_ = 0;          // the size asked for
  uint64_t filled_ = 0;         // frames allocated and zeroed so far (frames_[0 .. filled_))
  PhysAddr* frames_ = nullptr;  // the index: contiguous frames holding one PhysAddr per page
  PhysAddr index_phys_ = 0;
  uint64_t index_pages_ = 0;
};

}  // namespace hmk
