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
//
// `key` makes handles carry a generation (see CapTable): a full slot's key is the handle that
// names it; an empty slot's key is the handle its next capability will get, with bit 0
// flipped, so that no handle equals it (the low bits of a handle are its slot number).
struct Capability {
  KernelObject* object;
  uint32_t rights;
  ObjectType type;  // object->type(), cached for the fast path
  uint64_t badge;
  Capability* parent;
  Capability* first_child;
  Capability* next_sibling;
  Capability* prev_sibling;
  uint64_t key;  // the handle (full slot); next handle ^ 1 (empty slot). Pads a slot to 64 bytes.

  bool empty() const { return object == nullptr; }
};
static_assert(sizeof(Capability) == 64);

// A growable table of capability slots, one 4 KiB frame of 64 slots at a time. Pages are
// charged to the owning process's quota when they are added.
//
// A handle is a slot number (bits 0-9) and the slot's generation (bits 10-31). A slot's
// generation advances every time it empties, so a handle kept after its capability was deleted
// or revoked (perhaps by another process: revoke reaches into every table) names nothing, even
// once the slot holds another capability: the slot's key no longer equals it. Slot 0 is never
// filled, so no handle with slot bits 0 (the null handle among them) is ever valid. A slot
// that has used all 2^22 generations is retired for good instead of wrapping, so no old handle
// ever names a capability again (a table loses a slot per 4 million reuses of it).
class CapTable {
 public:
  static constexpr size_t kSlotsPerPage = 4096 / sizeof(Capability);  // 64
  static constexpr size_t kMaxPages = 16;
  static constexpr size_t kMaxSlots = kSlotsPerPage * kMaxPages;
  static constexpr uint32_t kSlotBits = 10;
  static constexpr uint64_t kSlotMask = kMaxSlots - 1;
  static_assert((kSlotsPerPage & (kSlotsPerPage - 1)) == 0);
  static_assert(kMaxSlots == 1u << kSlotBits);

  // The slot a handle names.
  static constexpr size_t slot_of(uint64_t handle) { return handle & kSlotMask; }
  // The key of an empty slot whose last capability had `handle`: its next handle with bit 0
  // flipped, or, after the last generation, a retired key (bit 63 set) that take_free skips and
  // no handle equals (its low bits name another slot).
  static constexpr uint64_t kRetiredKey = 1ull << 63;
  static constexpr uint64_t empty_key(uint64_t handle) {
    return (handle >> kSlotBits) == kLastGeneration ? (slot_of(handle) ^ 1) | kRetiredKey
                                                    : (handle + kMaxSlots) ^ 1;
  }
  static constexpr uint64_t kLastGeneration = (1ull << (32 - kSlotBits)) - 1;
  static constexpr bool retired(const Capability& slot) { return (slot.key & kRetiredKey) != 0; }

  constexpr CapTable() = default;
  CapTable(const CapTable&) = delete;
  CapTable& operator=(const CapTable&) = delete;

  // The capability behind `handle` if the slot exists, is full and still has the handle's
  // generation, else nullptr. Takes the full register: a value beyond 32 bits equals no key.
  // One compare covers emptiness and staleness (an empty slot's key has bit 0 flipped).
  Capability* lookup(uint64_t handle) const {
    const size_t slot = slot_of(handle);
    Capability* page = pages_[slot / kSlotsPerPage];
    if (page == nullptr) return nullptr;
    Capability* cap = &page[slot % kSlotsPerPage];
    return cap->key == handle ? cap : nullptr;
  }
  // The capability behind `handle` with the given type, or kInvalidCapability.
  Result<Capability*> lookup(uint64_t handle, ObjectType type) const;
  // ... and with all of `rights`, or kPermissionDenied.
  Result<Capability*> lookup(uint64_t handle, ObjectType type, uint32_t rights) const;

  // Makes sure `count` slots are free, adding pages charged to `quota` if needed; after it
  // succeeds, that many take_free() calls cannot fail (the decode half of decode-then-commit).
  Status ensure_free(size_t count, Quota& quota);
  // The handle of the lowest free slot in the pages the table has (ensure_free first). Not yet
  // filled.
  Handle take_free();
  // How many slots are free without adding pages, counting up to `limit`.
  size_t free_slots(size_t limit) const;

  // Fills the free slot `handle` (from take_free); takes a new reference to `object`. `parent`
  // (may be null) becomes its parent in the derivation tree.
  void install(Handle handle, KernelObject* object, uint32_t rights, uint64_t badge,
               Capability* parent);
  // The three ways a capability goes into a slot reserved with ensure_free (they cannot fail),
  // each returning the new handle: a root capability to `object`, which keeps its own
  // references (install_root); a root capability to a new object, which takes over the
  // object's creation reference (install_new); a child of `parent` in the derivation tree, with
  // `rights` (a subset of the parent's: the caller checks) and `badge` (install_child).
  Handle install_root(KernelObject* object, uint32_t rights);
  Handle install_new(KernelObject* object, uint32_t rights);
  Handle install_child(Capability& parent, uint32_t rights, uint64_t badge);
  // Handle of a full slot of this table, or kNullHandle if `cap` is not one.
  Handle handle_of(const Capability* cap) const;

  // Empties every slot and returns the pages (charged to `quota`).
  void clear(Quota& quota);
  // The same in bounded steps: at most *budget units of work (a deletion, or a child moved up),
  // taken off *budget; true once the table is empty and its pages are back.
  bool clear_step(Quota& quota, size_t* budget);

  size_t page_count() const;
  Capability* page(size_t index) const { return pages_[index]; }

 private:
  Capability* pages_[kMaxPages] = {};
  uint64_t page_phys_[kMaxPages] = {};  // physical addresses of pages_
};

// Deletes one capability: the slot empties, its object loses a reference, its children move up
// to its parent (so an ancestor's revoke still reaches them), and sends blocked on it are
// cancelled. Returns the work it did (1, plus children moved, plus waiting senders looked at)
// for the callers that work in bounded steps.
size_t cap_delete(Capability* cap);
// Moves up to `budget` of `cap`'s children to its parent (as cap_delete would); returns how
// many it moved (cap->first_child says whether any are left). The tree is consistent after
// every call.
size_t cap_move_children_up(Capability* cap, size_t budget);
// Deletes descendants of `cap` (not `cap` itself), about `budget` units of work (see
// cap_delete; one deletion can overshoot by the senders waiting on it); true once none is left.
// Linear: each round moves the first child's children up to `cap` (within the budget) and
// deletes it, so every capability below is moved at most once and deleted once. Iterative, no
// recursion.
bool cap_revoke(Capability* cap, size_t budget);
// The same without a bound, for the kernel's own bookkeeping (init, failed set-ups).
inline void cap_revoke(Capability* cap) {
  (void)cap_revoke(cap, ~size_t{0});
}

// How much capability work a system call does per step before it restarts (see kRestart in
// core/syscall.h): about 10^5 instructions, a tenth of a millisecond.
inline constexpr size_t kCapStepBudget = 1024;
// Whether `ancestor` is a proper ancestor of `cap`.
bool cap_is_ancestor(const Capability* ancestor, const Capability* cap);

}  // namespace hmk
