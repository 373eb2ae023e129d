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
  // Frees the frames and the object. A big one frees kBackgroundStepBudget frames now and the
  // rest as background work (run_memory_backlog), so that the death of a 64 MiB object never
  // keeps interrupts waiting long; meanwhile it is in the backlog, still charged, unreachable.
  void destroy();
  // Frees up to *budget frames (taken off *budget); true when none is left.
  bool free_frames(size_t* budget);
  // The rest of destroy() once every frame is back.
  void destroy_empty();

  uint64_t pages() const { return pages_; }
  PhysAddr frame(uint64_t index) const { return frames_[index]; }

  // ---- W^X across mappings ----
  //
  // The object is never writable in one mapping and executable in another (in any space, at
  // any address). Space keeps these counts right in map, protect and unmap (and so in
  // teardown, which unmaps); the invariant checker recounts them from the mappings.

  // Mappings of this object, in every space, whose rights include kRightWrite / kRightExecute.
  uint64_t writable_mappings() const { return writable_mappings_; }
  uint64_t executable_mappings() const { return executable_mappings_; }
  // How many mappings have the right that conflicts with `rights` (kRightWrite conflicts with
  // kRightExecute and the other way round); 0 for rights with neither.
  uint64_t conflicting_mappings(uint32_t rights) const {
    if (rights & abi::kRightWrite) return executable_mappings_;
    if (rights & abi::kRightExecute) return writable_mappings_;
    return 0;
  }
  // A mapping with `rights` appeared or went away.
  void mapping_added(uint32_t rights) {
    if (rights & abi::kRightWrite) ++writable_mappings_;
    if (rights & abi::kRightExecute) ++executable_mappings_;
  }
  void mapping_removed(uint32_t rights) {
    if (rights & abi::kRightWrite) --writable_mappings_;
    if (rights & abi::kRightExecute) --executable_mappings_;
  }

  // Scratch count for Space::protect's W^X check (how many of this object's conflicting
  // mappings the call itself changes). Set and read within one check, before anything changes;
  // it means nothing between calls.
  uint64_t protect_tally_ = 0;

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
  uint64_t writable_mappings_ = 0;
  uint64_t executable_mappings_ = 0;
};

// Frees the frames of dead memory objects in the backlog, up to *budget (taken off *budget),
// destroying each once it has none; true when the backlog is empty. Background work (object.h).
bool run_memory_backlog(size_t* budget);
// Whether `m` is in the backlog (dead, its frames being freed).
bool in_memory_backlog(const MemoryObject* m);

}  // namespace hmk
