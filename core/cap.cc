// Capability tables and the derivation tree.
#include "core/cap.h"

#include "core/arch.h"
#include "core/kmem.h"
#include "core/lib/string.h"
#include "core/quota.h"

namespace hmk {

Result<Capability*> CapTable::lookup(Handle handle, ObjectType type) const {
  Capability* cap = lookup(handle);
  if (cap == nullptr || cap->type != type) return Status::kInvalidCapability;
  return cap;
}

Result<Capability*> CapTable::lookup(Handle handle, ObjectType type, uint32_t rights) const {
  Capability* cap = TRY(lookup(handle, type));
  if ((cap->rights & rights) != rights) return Status::kPermissionDenied;
  return cap;
}

Status CapTable::ensure_free(size_t count, Quota& quota) {
  // Bounded by kMaxPages additions.
  while (free_slots(count) < count) {
    size_t index = page_count();
    if (index == kMaxPages) return Status::kQuotaExceeded;  // the table is at its largest
    TRY(quota.charge(kPageSize));
    Result<KernelPage> fresh = allocate_zeroed_page();
    if (!fresh.ok()) {
      quota.uncharge(kPageSize);
      return fresh.status();
    }
    pages_[index] = static_cast<Capability*>(fresh->virt);
    page_phys_[index] = fresh->phys;
  }
  return Status::kOk;
}

Handle CapTable::take_free() {
  for (size_t h = 1; h < kMaxSlots; ++h) {
    Capability* page = pages_[h / kSlotsPerPage];
    if (page == nullptr) break;
    if (page[h % kSlotsPerPage].empty()) return static_cast<Handle>(h);
  }
  return abi::kNullHandle;
}

Result<Handle> CapTable::find_free(Quota& quota) {
  TRY(ensure_free(1, quota));
  return take_free();
}

size_t CapTable::free_slots(size_t limit) const {
  size_t n = 0;
  for (size_t h = 1; h < kMaxSlots && n < limit; ++h) {
    Capability* page = pages_[h / kSlotsPerPage];
    if (page == nullptr) break;
    if (page[h % kSlotsPerPage].empty()) ++n;
  }
  return n;
}

void CapTable::install(Handle handle, KernelObject* object, uint32_t rights, uint64_t badge,
                       Capability* parent) {
  Capability* cap = &pages_[handle / kSlotsPerPage][handle % kSlotsPerPage];
  object->acquire();
  *cap = Capability{object, rights, object->type(), badge, parent, nullptr, nullptr, nullptr, 0};
  if (parent != nullptr) {
    cap->next_sibling = parent->first_child;
    if (parent->first_child != nullptr) parent->first_child->prev_sibling = cap;
    parent->first_child = cap;
  }
}

Handle CapTable::handle_of(const Capability* cap) const {
  for (size_t i = 0; i < kMaxPages && pages_[i] != nullptr; ++i) {
    if (cap >= pages_[i] && cap < pages_[i] + kSlotsPerPage) {
      return static_cast<Handle>(i * kSlotsPerPage + static_cast<size_t>(cap - pages_[i]));
    }
  }
  return abi::kNullHandle;
}

void CapTable::clear(Quota& quota) {
  for (size_t i = 0; i < kMaxPages && pages_[i] != nullptr; ++i) {
    for (size_t j = 0; j < kSlotsPerPage; ++j) {
      if (!pages_[i][j].empty()) cap_delete(&pages_[i][j]);
    }
  }
  for (size_t i = 0; i < kMaxPages && pages_[i] != nullptr; ++i) {
    free_page(page_phys_[i]);
    quota.uncharge(kPageSize);
    pages_[i] = nullptr;
    page_phys_[i] = 0;
  }
}

size_t CapTable::page_count() const {
  size_t n = 0;
  while (n < kMaxPages && pages_[n] != nullptr)
    ++n;
  return n;
}

namespace {
void unlink_from_siblings(Capability* cap) {
  if (cap->prev_sibling != nullptr) {
    cap->prev_sibling->next_sibling = cap->next_sibling;
  } else if (cap->parent != nullptr) {
    cap->parent->first_child = cap->next_sibling;
  }
  if (cap->next_sibling != nullptr) cap->next_sibling->prev_sibling = cap->prev_sibling;
  cap->next_sibling = cap->prev_sibling = nullptr;
}
}  // namespace

void cap_delete(Capability* cap) {
  // 1. Hand the children to our parent (or make them roots).
  Capability* parent = cap->parent;
  Capability* child = cap->first_child;
  while (child != nullptr) {
    Capability* next = child->next_sibling;
    child->parent = parent;
    child->prev_sibling = nullptr;
    child->next_sibling = nullptr;
    if (parent != nullptr) {
      child->next_sibling = parent->first_child;
      if (parent->first_child != nullptr) parent->first_child->prev_sibling = child;
      parent->first_child = child;
    }
    child = next;
  }
  cap->first_child = nullptr;
  // 2. Leave the parent's child list.
  unlink_from_siblings(cap);
  // 3. Empty the slot, then drop the reference (destruction is deferred; see reap_objects).
  KernelObject* object = cap->object;
  *cap = Capability{nullptr, 0, ObjectType::kNone, 0, nullptr, nullptr, nullptr, nullptr, 0};
  object->release();
}

void cap_revoke(Capability* cap) {
  // Post-order without recursion: descend to a leaf under `cap`, delete it, repeat. Each round
  // removes one capability, so the loop ends after as many rounds as there were descendants.
  while (cap->first_child != nullptr) {
    Capability* leaf = cap->first_child;
    while (leaf->first_child != nullptr)
      leaf = leaf->first_child;
    cap_delete(leaf);
  }
}

bool cap_is_ancestor(const Capability* ancestor, const Capability* cap) {
  for (const Capability* p = cap->parent; p != nullptr; p = p->parent) {
    if (p == ancestor) return true;
  }
  return false;
}

}  // namespace hmk
