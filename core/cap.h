// Capabilities: per-process tables of (object, rights, badge), linked into one derivation tree
// across all tables so that revoke can find every capability derived from another.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "core/object.h"

namespace hmk {

using abi::Handle;
class Quota;

// One slot. Empty when object == nullptr. The derivation links are null-terminated: parent,
// first child, and a doubly linked sibling list.
struct Capability {
  KernelObject* object;
  uint32_t rights;
  ObjectType type;  // object->type(), cached for the fast path
  uint64_t badge;
  Capability* parent;
  Capability* first_child;
  Capability* next_sibling;
  Capability* prev_sibling;
  uint64_t reserved;  // pads a slot to 64 bytes: 64 slots a page, found by shift and mask

  bool empty() const { return object == nullptr; }
};
static_assert(sizeof(Capability) == 64);

// A growable table of capability slots, one 4 KiB frame of 64 slots at a time. Handle h
// lives in page h / kSlotsPerPage.
// Handle 0 is never valid. Pages are charged to the owning process's quota when they are added.
class CapTable {
 public:
  static constexpr size_t kSlotsPerPage = 4096 / sizeof(Capability);  // 64
  static constexpr size_t kMaxPages = 16;
  static constexpr size_t kMaxSlots = kSlotsPerPage * kMaxPages;
  static_assert((kSlotsPerPage & (kSlotsPerPage - 1)) == 0);

  constexpr CapTable() = default;
  CapTable(const CapTable&) = delete;
  CapTable& operator=(const CapTable&) = delete;

  // The capability behind `handle` if the slot exists and is full, else nullptr. Takes the
  // full register so that values beyond 32 bits name no slot.
  Capability* lookup(uint64_t handle) const {
    if (handle >= kMaxSlots) return nullptr;
    Capability* page = pages_[handle / kSlotsPerPage];
    if (page == nullptr) return nullptr;
    Capability* cap = &page[handle % kSlotsPerPage];
    return cap->empty() ? nullptr : cap;
  }
  // The capability behind `handle` with the given type, or kInvalidCapability.
  Result<Capability*> lookup(Handle handle, ObjectType type) const;
  // ... and with all of `rights`, or kPermissionDenied.
  Result<Capability*> lookup(Handle handle, ObjectType type, uint32_t rights) const;

  // Makes sure `count` slots are free, adding pages charged to `quota` if needed; after it
  // succeeds, that many take_free() calls cannot fail (the decode half of decode-then-commit).
  Status ensure_free(size_t count, Quota& quota);
  // The lowest free slot in the pages the table has (ensure_free first). Not yet filled.
  Handle take_free();
  // ensure_free(1) + take_free().
  Result<Handle> find_free(Quota& quota);
  // How many slots are free without adding pages, counting up to `limit`.
  size_t free_slots(size_t limit) const;

  // Fills the free slot `handle`; takes a new reference to `object`. `parent` (may be null)
  // becomes its parent in the derivation tree.
  void install(Handle handle, KernelObject* object, uint32_t rights, uint64_t badge,
               Capability* parent);
  // Handle of a capability that lives in this table, or kNullHandle.
  Handle handle_of(const Capability* cap) const;

  // Empties every slot and returns the pages (charged to `quota`).
  void clear(Quota& quota);

  size_t page_count() const;
  Capability* page(size_t index) const { return pages_[index]; }

 private:
  Capability* pages_[kMaxPages] = {};
  uint64_t page_phys_[kMaxPages] = {};  // physical addresses of pages_
};

// Deletes one capability: the slot empties, its object loses a reference, and its children
// move up to its parent (so an ancestor's revoke still reaches them).
void cap_delete(Capability* cap);
// Deletes every descendant of `cap` (not `cap` itself). Iterative, no recursion.
void cap_revoke(Capability* cap);
// Whether `ancestor` is a proper ancestor of `cap`.
bool cap_is_ancestor(const Capability* ancestor, const Capability* cap);

}  // namespace hmk
