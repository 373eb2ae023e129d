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
  void destroy();

  uint64_t pages() const { return pages_; }
  PhysAddr frame(uint64_t index) const { return frames_[index]; }

 private:
  template <typename T>
  friend class Slab;
  MemoryObject(Quota& quota, uint64_t charged)
      : KernelObject(ObjectType::kMemory, &quota, charged) {}

  uint64_t pages_ = 0;
  PhysAddr* frames_ = nullptr;  // the index: contiguous frames holding one PhysAddr per page
  PhysAddr index_phys_ = 0;
  uint64_t index_pages_ = 0;
};

}  // namespace hmk
