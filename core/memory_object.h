// Memory objects: a fixed number of pages that can be mapped into spaces. Their frames are
// allocated when the object is made (eager), or on first touch (lazy: demand-zero), or shared
// copy-on-write with the object they were cloned from; kernel paging (Space::resolve_fault)
// fills lazy pages and copies shared ones when they are written.
#pragma once

#include <stdint.h>

#include "core/arch.h"
#include "core/list.h"
#include "core/object.h"

namespace hmk {

class MemoryObject;
class Space;

// One run of pages of a memory object mapped into a space: the region the kernel resolves the
// space's page faults from.
struct Mapping {
  ListNode node;         // Space::mappings_
  ListNode object_node;  // MemoryObject::mappings_: every mapping of the object, in any space
  Space* space;
  uint64_t vaddr;
  uint64_t pages;
  MemoryObject* memory;  // holds a reference
  uint64_t first_page;   // in `memory`
  uint32_t rights;       // current kRightRead/Write/Execute
  uint32_t max_rights;   // the memory capability's rights at map time: protect stays within
};

class MemoryObject final : public KernelObject {
 public:
  using MappingList = List<Mapping, &Mapping::object_node>;

  // `pages` zeroed frames (1..abi::kMaxMemoryPages), all charged to `quota`.
  static Result<MemoryObject*> create(Quota& quota, uint64_t pages);
  // A lazy object: charged in full like create(), but each frame is allocated (zeroed) when a
  // page is first touched: a fault in a mapping of it, or the kernel copying to or from it.
  static Result<MemoryObject*> create_lazy(Quota& quota, uint64_t pages);
  // A lazy object with `source`'s size whose pages will be `source`'s, copy-on-write: made
  // unfilled, then clone_step() shares up to `budget` pages a call until filled(). A shared
  // frame is mapped read-only everywhere; the first write to it through either object gives
  // that object its own copy (make_private). Charged in full to `quota`, as if copied, so a
  // copy never fails for want of quota. Holds a reference to `source` until filled.
  static Result<MemoryObject*> create_clone(Quota& quota, MemoryObject& source);
  Status clone_step(uint64_t budget);
  // The object a clone still being made copies (nullptr otherwise).
  MemoryObject* clone_source() const { return clone_source_; }
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
  bool lazy() const { return lazy_; }
  // Whether a frame of this object was ever shared with a clone (as source or as clone).
  bool ever_shared() const { return ever_shared_; }
  // The frame behind page `index`; 0 if a lazy object's page was never touched.
  PhysAddr frame(uint64_t index) const { return frames_[index]; }
  // The frame behind page `index`, allocated zeroed if it was not there. kOutOfMemory if no
  // frame is free (the quota was charged when the object was made: this means the machine
  // promised more than it has).
  Result<PhysAddr> touch(uint64_t index);
  // Gives page `index` a frame this object alone holds (copying a shared one), and points every
  // mapping of the page at it with that mapping's rights. The page must be there.
  Status make_private(uint64_t index);
  // The page flags page `index` is mapped with in `m` (a mapping of this object): the
  // mapping's rights, without write while the frame is shared.
  uint32_t page_flags(const Mapping& m, uint64_t index) const;
  // Every mapping of this object, in every space (Space keeps it).
  MappingList& mappings() { return mappings_; }

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

  // Where page `index` is mapped in `m`, if `m` maps it.
  static bool maps_page(const Mapping& m, uint64_t index, uint64_t* vaddr);

  uint64_t pages_ = 0;  // the size asked for
  // Index entries made so far (frames_[0 .. filled_)): frames allocated and zeroed (eager),
  // shared (a clone), or all of them at once (lazy; 0 entries are pages not yet touched).
  uint64_t filled_ = 0;
  bool lazy_ = false;
  bool ever_shared_ = false;
  MemoryObject* clone_source_ = nullptr;  // a clone being made: the object it copies
  MappingList mappings_;
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
