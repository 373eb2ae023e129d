// Capability tables and the derivation tree.
#include "core/cap.h"

#include "core/arch.h"
#include "core/endpoint.h"
#include "core/kmem.h"
#include "core/lib/string.h"
#include "core/quota.h"

namespace hmk {

Result<Capability*> CapTable::lookup(uint64_t handle, ObjectType type) const {
  Capability* cap = lookup(handle);
  if (cap == nullptr || cap->type != type) return Status::kInvalidCapability;
  return cap;
}

Result<Capability*> CapTable::lookup(uint64_t handle, ObjectType type, uint32_t rights) const {
  Capability* cap = TRY(lookup(handle, type));
  if ((cap->rights & rights) != rights) return Status::kPermissionDenied;
  return cap;
}

Status CapTable::ensure_free(size_t count, Quota& quota) {
  // Bounded by kMaxPages additions.
  // bound: each round adds one table page or returns; at most kMaxPages
  while (free_slots(count) < count) {
    size_t index = page_count();
    if (index == kMaxPages) return Status::kQuotaExceeded;  // the table is at its largest
    TRY(quota.charge(kPageSize));
    Result<KernelPage> fresh = allocate_zeroed_page();
    if (!fresh.ok()) {
      quota.uncharge(kPageSize);
      return fresh.status();
    }
    auto* page = static_cast<Capability*>(fresh->virt);  // zeroed: empty, generation 0
    // Every slot starts empty at generation 0: its first handle is its slot number.
    for (size_t i = 0; i < kSlotsPerPage; ++i)
      page[i].key = (index * kSlotsPerPage + i) ^ 1;
    pages_[index] = page;
    page_phys_[index] = fresh->phys;
  }
  return Status::kOk;
}

Handle CapTable::take_free() {
  for (size_t h = 1; h < kMaxSlots; ++h) {
    Capability* page = pages_[h / kSlotsPerPage];
    if (page == nullptr) break;
    const Capability& slot = page[h % kSlotsPerPage];
    if (slot.empty() && !retired(slot)) return static_cast<Handle>(slot.key ^ 1);
  }
  return abi::kNullHandle;
}

size_t CapTable::free_slots(size_t limit) const {
  size_t n = 0;
  for (size_t h = 1; h < kMaxSlots && n < limit; ++h) {
    Capability* page = pages_[h / kSlotsPerPage];
    if (page == nullptr) break;
    const Capability& slot = page[h % kSlotsPerPage];
    if (slot.empty() && !retired(slot)) ++n;
  }
  return n;
}

void CapTable::install(Handle handle, KernelObject* object, uint32_t rights, uint64_t badge,
                       Capability* parent) {
  const size_t slot = slot_of(handle);
  Capability* cap = &pages_[slot / kSlotsPerPage][slot % kSlotsPerPage];
  object->acquire();
  *cap =
      Capability{object, rights, object->type(), badge, parent, nullptr, nullptr, nullptr, handle};
  if (parent != nullptr) {
    cap->next_sibling = parent->first_child;
    if (parent->first_child != nullptr) parent->first_child->prev_sibling = cap;
    parent->first_child = cap;
  }
}

Handle CapTable::install_root(KernelObject* object, uint32_t rights) {
  const Handle h = take_free();
  install(h, object, rights, 0, nullptr);
  return h;
}

Handle CapTable::install_new(KernelObject* object, uint32_t rights) {
  const Handle h = install_root(object, rights);
  object->release();
  return h;
}

Handle CapTable::install_child(Capability& parent, uint32_t rights, uint64_t badge) {
  const Handle h = take_free();
  install(h, parent.object, rights, badge, &parent);
  return h;
}

Handle CapTable::handle_of(const Capability* cap) const {
  for (size_t i = 0; i < kMaxPages && pages_[i] != nullptr; ++i) {
    if (cap >= pages_[i] && cap < pages_[i] + kSlotsPerPage) {
      return cap->empty() ? abi::kNullHandle : static_cast<Handle>(cap->key);
    }
  }
  return abi::kNullHandle;
}

bool CapTable::clear_step(Quota& quota, size_t* budget) {
  for (size_t i = 0; i < kMaxPages && pages_[i] != nullptr; ++i) {
    for (size_t j = 0; j < kSlotsPerPage; ++j) {
      Capability* cap = &pages_[i][j];
      if (cap->empty()) continue;
      if (*budget == 0) return false;
      *budget -= cap_move_children_up(cap, *budget);
      if (cap->first_child != nullptr || *budget == 0) return false;
      *budget -= min(*budget, cap_delete(cap));
    }
  }
  clear(quota);  // every slot empty: only the pages are left
  return true;
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
  // bound: n < kMaxPages
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

size_t cap_move_children_up(Capability* cap, size_t budget) {
  // Each child leaves cap's list at the front and joins the parent's at the front (or becomes
  // a root); one step per child.
  Capability* parent = cap->parent;
  size_t moved = 0;
  // bound: returns at moved == budget; each round takes one child off the list
  for (; cap->first_child != nullptr; ++moved) {
    if (moved == budget) return moved;
    Capability* child = cap->first_child;
    cap->first_child = child->next_sibling;
    if (cap->first_child != nullptr) cap->first_child->prev_sibling = nullptr;
    child->parent = parent;
    child->prev_sibling = nullptr;
    child->next_sibling = nullptr;
    if (parent != nullptr) {
      child->next_sibling = parent->first_child;
      if (parent->first_child != nullptr) parent->first_child->prev_sibling = child;
      parent->first_child = child;
    }
  }
  return moved;
}

size_t cap_delete(Capability* cap) {
  // 1. Hand the children to our parent (or make them roots).
  size_t work = 1 + cap_move_children_up(cap, ~size_t{0});
  // 2. Leave the parent's child list.
  unlink_from_siblings(cap);
  // Sends and receives blocked on this very capability end with it (kInvalidCapability). If
  // it is the endpoint's last reference, the endpoint's death wakes every waiter with
  // kPeerClosed instead.
  if (cap->type == ObjectType::kEndpoint && cap->object->refs() > 1) {
    work += static_cast<Endpoint*>(cap->object)->cancel_waits_through(cap);
  }
  // 3. Empty the slot at the next generation, so the handle that named it goes stale, then drop
  // the reference (destruction is deferred; see reap_objects).
  KernelObject* object = cap->object;
  const uint64_t key = CapTable::empty_key(cap->key);
  *cap = Capability{nullptr, 0, ObjectType::kNone, 0, nullptr, nullptr, nullptr, nullptr, key};
  object->release();
  return work;
}

bool cap_revoke(Capability* cap, size_t budget) {
  // Top down: the first child's children move up to `cap` (where later rounds find them), then
  // it goes. No capability is moved twice (its new parent, `cap`, is never deleted here), so
  // the work is linear in the number of descendants, however deep or wide the tree.
  size_t work = 0;
  // bound: each round deletes `child`, which leaves cap's child list, or returns
  while (Capability* child = cap->first_child) {
    if (work >= budget) return false;
    work += cap_move_children_up(child, budget - work);
    if (child->first_child != nullptr) return false;  // the budget ran out among them
    work += cap_delete(child);
  }
  return true;
}

bool cap_is_ancestor(const Capability* ancestor, const Capability* cap) {
  // bound: one step per ancestor; a derivation chain has no cycle (invariant 14)
  for (const Capability* p = cap->parent; p != nullptr; p = p->parent) {
    if (p == ancestor) return true;
  }
  return false;
}

}  // namespace hmk
