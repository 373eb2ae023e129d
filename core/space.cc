// Spaces: address spaces with mappings, capability tables, quotas, and the process tree.
#include "core/space.h"

#include "core/init.h"
#include "core/ipc.h"
#include "core/kmem.h"
#include "core/quota.h"
#include "core/slab.h"

namespace hmk {
namespace {
constinit Slab<Space> g_spaces("Space");
using TeardownQueue = List<Space, &Space::teardown_node>;
constinit TeardownQueue g_teardown;
constinit Slab<Mapping> g_mappings("Mapping");

constexpr uint64_t kPageRights = abi::kRightRead | abi::kRightWrite | abi::kRightExecute;

// Worst-case page-table pages for mapping `pages` pages: one page table per 512 pages plus
// the partial ones at both ends, and the same one level up, twice.
uint64_t worst_case_tables(uint64_t pages) {
  return pages / 512 + 2 + pages / (512 * 512) + 2 + 2;
}

bool range_ok(uint64_t vaddr, uint64_t pages, uint64_t* end) {
  if (__builtin_mul_overflow(pages, kPageSize, end)) return false;
  if (__builtin_add_overflow(vaddr, *end, end)) return false;
  return vaddr >= arch::kUserLowest && *end <= arch::kUserHighest;
}
}  // namespace

uint64_t Space::mapping_record_bytes() {
  return g_mappings.cache().object_size();
}

uint32_t page_flags_for_rights(uint32_t rights) {
  uint32_t flags = kPageUser;
  if (rights & abi::kRightWrite) flags |= kPageWrite;
  if (rights & abi::kRightExecute) flags |= kPageExecute;
  return flags;
}

Space::Space(Quota& creator, uint64_t charged, Quota& own, StringView name)
    : KernelObject(ObjectType::kSpace, &creator, charged), own_quota_(&own) {
  size_t n = min(name.size(), sizeof(name_buf_) - 1);
  mem_copy(name_buf_, name.data(), n);
  name_ = StringView(name_buf_, n);
}

Result<Space*> Space::create(Quota& creator, Quota& own, StringView name) {
  // Charge both accounts before taking the page-table root's frame.
  const uint64_t charge = TRY(charge_block(g_spaces, creator, 0));
  if (Status s = own.charge(kPageSize); s != Status::kOk) {  // the page-table root
    creator.uncharge(charge);
    return s;
  }
  Result<arch::AddressSpace> as = arch::create_address_space(kernel_frames());
  if (!as.ok()) {
    own.uncharge(kPageSize);
    creator.uncharge(charge);
    return as.status();
  }
  Result<Space*> made = construct_charged(g_spaces, creator, charge, own, name);
  if (!made.ok()) {  // construct_charged gave the creator's charge back
    size_t tables = 0;
    arch::destroy_address_space(*as, kernel_frames(), &tables);
    own.uncharge(kPageSize);
    return made.status();
  }
  Space* space = *made;
  space->as_ = *as;
  space->own_bytes_ = kPageSize;
  own.acquire();
  return space;
}

void Space::destroy() {
  if (alive_) {
    // Never started, and its last capability went away: end it first. The teardown queue's
    // reference keeps it alive until that is done, and the next release brings it back here.
    terminate(0);
    return;
  }
  own_quota_->release();
  g_spaces.destroy(this);
}

void Space::adopt(Space* child) {
  child->parent_ = this;
  children_.push_back(child);
}

Status Space::map(MemoryObject& memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
                  uint32_t rights, uint32_t max_rights) {
  uint64_t end;
  if (pages == 0 || !is_aligned(vaddr, kPageSize)) return Status::kInvalidArgument;
  if ((rights & ~kPageRights) != 0 || !(rights & abi::kRightRead)) return Status::kInvalidArgument;
  if ((rights & abi::kRightWrite) && (rights & abi::kRightExecute)) return Status::kInvalidArgument;
  if (!range_ok(vaddr, pages, &end)) return Status::kBadAddress;
  if (first_page > memory.pages() || pages > memory.pages() - first_page) {
    return Status::kOutOfRange;
  }
  if (!alive_) return Status::kPeerClosed;
  // bound: one step per mapping of the space
  for (Mapping* m = mappings_.front(); m != nullptr; m = mappings_.next(m)) {
    if (vaddr < m->vaddr + m->pages * kPageSize && m->vaddr < end) return Status::kAlreadyExists;
  }
  // W^X across mappings: not writable here while executable anywhere else, nor the other way.
  if (memory.conflicting_mappings(rights) != 0) return Status::kPermissionDenied;
  // Charge the mapping record and the worst case of page tables; return what was not used.
  const uint64_t record = g_mappings.cache().object_size();
  const uint64_t tables_budget = worst_case_tables(pages) * kPageSize;
  TRY(own_quota_->charge(record + tables_budget));
  Result<Mapping*> made = g_mappings.create();
  if (!made.ok()) {
    own_quota_->uncharge(record + tables_budget);
    return made.status();
  }
  // POINT OF NO RETURN, except for running out of frames for page tables (rolled back below).
  Mapping* m = *made;
  m->space = this;
  m->vaddr = vaddr;
  m->pages = 0;
  m->memory = &memory;
  m->first_page = first_page;
  m->rights = rights;
  m->max_rights = max_rights & kPageRights;
  memory.acquire();
  memory.mapping_added(rights);
  mappings_.push_back(m);
  memory.mappings().push_back(m);
  own_bytes_ += record;
  size_t tables = 0;
  Status s = Status::kOk;
  for (uint64_t i = 0; i < pages && s == Status::kOk; ++i) {
    const PhysAddr frame = memory.frame(first_page + i);
    if (frame != 0) {  // a lazy object's untouched page comes on its first fault
      s = arch::map_page(as_, vaddr + i * kPageSize, frame, memory.page_flags(*m, first_page + i),
                         kernel_frames(), &tables);
    }
    if (s == Status::kOk) m->pages = i + 1;
  }
  own_bytes_ += tables * kPageSize;
  own_quota_->uncharge(tables_budget - tables * kPageSize);
  if (s != Status::kOk) {
    m->pages = pages;  // so that tables made for the page that failed are pruned too
    unmap_mapping(m);
    return s;
  }
  return Status::kOk;
}

void Space::unmap_mapping(Mapping* m) {
  // Page tables the mapping was the last user of go back at once, and their charge with them.
  size_t tables = 0;
  arch::unmap_range(as_, m->vaddr, m->pages, kernel_frames(), &tables);
  own_bytes_ -= tables * kPageSize;
  own_quota_->uncharge(tables * kPageSize);
  MappingList::remove(m);
  MemoryObject::MappingList::remove(m);
  m->memory->mapping_removed(m->rights);
  m->memory->release();
  const uint64_t record = g_mappings.cache().object_size();
  g_mappings.destroy(m);
  own_bytes_ -= record;
  own_quota_->uncharge(record);
}

namespace {
// Mappings fully inside [vaddr, end); kInvalidArgument if one is only partly inside, kNotFound
// if none is.
template <typename List>
Status covered(List& mappings, uint64_t vaddr, uint64_t end) {
  bool any = false;
  // bound: one step per mapping of the space
  for (Mapping* m = mappings.front(); m != nullptr; m = mappings.next(m)) {
    uint64_t m_end = m->vaddr + m->pages * kPageSize;
    if (m_end <= vaddr || m->vaddr >= end) continue;
    if (m->vaddr < vaddr || m_end > end) return Status::kInvalidArgument;
    any = true;
  }
  return any ? Status::kOk : Status::kNotFound;
}
}  // namespace

Status Space::unmap(uint64_t vaddr, uint64_t pages) {
  uint64_t end;
  if (pages == 0 || !is_aligned(vaddr, kPageSize)) return Status::kInvalidArgument;
  if (!range_ok(vaddr, pages, &end)) return Status::kBadAddress;
  if (!alive_) return Status::kPeerClosed;
  TRY(covered(mappings_, vaddr, end));
  Mapping* m = mappings_.front();
  // bound: one step per mapping of the space, each looked at once
  while (m != nullptr) {
    Mapping* next = mappings_.next(m);
    if (m->vaddr >= vaddr && m->vaddr < end) unmap_mapping(m);
    m = next;
  }
  return Status::kOk;
}

// W^X across mappings for protect: after the call, the memory object of every mapping in
// [vaddr, end) may have no mapping with the right that conflicts with `rights` (see
// MemoryObject) except those this call changes. Several mappings in the range may share an
// object, so each object's conflicting mappings in the range are tallied first (linear in the
// number of mappings; the tally is scratch, not state) and compared with its total.
Status Space::check_protect_wx(uint64_t vaddr, uint64_t end, uint32_t rights) {
  const uint32_t conflict = (rights & abi::kRightWrite)     ? abi::kRightExecute
                            : (rights & abi::kRightExecute) ? abi::kRightWrite
                                                            : 0;
  if (conflict == 0) return Status::kOk;
  auto in_range = [&](const Mapping* m) { return m->vaddr >= vaddr && m->vaddr < end; };
  // bound: one step per mapping of the space
  for (Mapping* m = mappings_.front(); m != nullptr; m = mappings_.next(m)) {
    if (in_range(m)) m->memory->protect_tally_ = 0;
  }
  // bound: one step per mapping of the space
  for (Mapping* m = mappings_.front(); m != nullptr; m = mappings_.next(m)) {
    if (in_range(m) && (m->rights & conflict) != 0) ++m->memory->protect_tally_;
  }
  // bound: one step per mapping of the space
  for (Mapping* m = mappings_.front(); m != nullptr; m = mappings_.next(m)) {
    if (in_range(m) && m->memory->conflicting_mappings(rights) > m->memory->protect_tally_) {
      return Status::kPermissionDenied;
    }
  }
  return Status::kOk;
}

Status Space::protect(uint64_t vaddr, uint64_t pages, uint32_t rights) {
  uint64_t end;
  if (pages == 0 || !is_aligned(vaddr, kPageSize)) return Status::kInvalidArgument;
  if ((rights & ~kPageRights) != 0 || !(rights & abi::kRightRead)) return Status::kInvalidArgument;
  if ((rights & abi::kRightWrite) && (rights & abi::kRightExecute)) return Status::kInvalidArgument;
  if (!range_ok(vaddr, pages, &end)) return Status::kBadAddress;
  if (!alive_) return Status::kPeerClosed;
  TRY(covered(mappings_, vaddr, end));
  // bound: one step per mapping of the space
  for (Mapping* m = mappings_.front(); m != nullptr; m = mappings_.next(m)) {
    if (m->vaddr >= vaddr && m->vaddr < end && (rights & ~m->max_rights) != 0) {
      return Status::kPermissionDenied;
    }
  }
  TRY(check_protect_wx(vaddr, end, rights));
  // POINT OF NO RETURN
  // bound: one step per mapping of the space
  for (Mapping* m = mappings_.front(); m != nullptr; m = mappings_.next(m)) {
    if (m->vaddr < vaddr || m->vaddr >= end) continue;
    m->memory->mapping_removed(m->rights);
    m->memory->mapping_added(rights);
    m->rights = rights;
    for (uint64_t i = 0; i < m->pages; ++i) {  // shared copy-on-write pages stay read-only
      arch::protect_page(as_, m->vaddr + i * kPageSize,
                         m->memory->page_flags(*m, m->first_page + i));
    }
  }
  return Status::kOk;
}

Status Space::resolve_fault(uint64_t address, uint32_t access) {
  if (!alive_) return Status::kBadAddress;
  const uint64_t vaddr = address & ~(kPageSize - 1);
  Mapping* m = mappings_.front();
  // bound: one step per mapping of the space
  while (m != nullptr && !(vaddr >= m->vaddr && vaddr - m->vaddr < m->pages * kPageSize))
    m = mappings_.next(m);
  if (m == nullptr) return Status::kBadAddress;
  if ((access & kPageWrite) && !(m->rights & abi::kRightWrite)) return Status::kBadAddress;
  if ((access & kPageExecute) && !(m->rights & abi::kRightExecute)) return Status::kBadAddress;
  MemoryObject& memory = *m->memory;
  const uint64_t index = m->first_page + (vaddr - m->vaddr) / kPageSize;
  const PhysAddr frame = TRY(memory.touch(index));
  if (access & kPageWrite) {
    if (frame_holders(frame) > 1 || arch::translate_user(as_, vaddr, kPageRead).ok()) {
      // Shared (or mapped read-only while it was): this object's own frame, writable in every
      // mapping of the page that has it.
      TRY(memory.make_private(index));
    }
  }
  if (arch::translate_user(as_, vaddr, kPageRead).ok()) return Status::kOk;
  // Not in the page tables yet: map it, paying for the page tables it needs.
  constexpr uint64_t kWorstTables = 3;  // a new page table at each level below the root
  TRY(own_quota_->charge(kWorstTables * kPageSize));
  size_t tables = 0;
  const Status s = arch::map_page(as_, vaddr, memory.frame(index), memory.page_flags(*m, index),
                                  kernel_frames(), &tables);
  own_bytes_ += tables * kPageSize;
  own_quota_->uncharge((kWorstTables - tables) * kPageSize);
  return s;
}

namespace {

// Each page of [address, address + length) in `as` with `flags`, as a kernel pointer: fn(kernel
// pointer, offset into the range, bytes). Nothing is passed on unless every page qualifies.
template <typename Fn>
Status for_user_pages(Space& space, uint64_t address, size_t length, uint32_t flags, Fn fn) {
  arch::AddressSpace& as = space.address_space();
  uint64_t end;
  if (__builtin_add_overflow(address, length, &end) || end > arch::kUserHighest) {
    return Status::kBadAddress;
  }
  // bound: done grows by the rest of a page (at least 1) each round, up to length
  for (size_t done = 0; done < length;) {  // check (and fault in) first, then copy
    if (!arch::translate_user(as, address + done, flags).ok()) {
      if (space.resolve_fault(address + done, flags & kPageWrite) != Status::kOk) {
        return Status::kBadAddress;
      }
      TRY(arch::translate_user(as, address + done, flags));
    }
    done += min<size_t>(length - done, kPageSize - ((address + done) & (kPageSize - 1)));
  }
  // bound: done grows by the rest of a page (at least 1) each round, up to length
  for (size_t done = 0; done < length;) {
    const uint64_t at = address + done;
    const size_t chunk = min<size_t>(length - done, kPageSize - (at & (kPageSize - 1)));
    fn(arch::phys_to_virt(*arch::translate_user(as, at, flags)), done, chunk);
    done += chunk;
  }
  return Status::kOk;
}

}  // namespace

Status Space::copy_in(uint64_t address, void* buffer, size_t length) {
  if (kernel_addressed_) {
    mem_copy(buffer, reinterpret_cast<const void*>(address), length);
    return Status::kOk;
  }
  auto* out = static_cast<uint8_t*>(buffer);
  return for_user_pages(*this, address, length, kPageRead,
                        [&](void* page, size_t at, size_t n) { mem_copy(out + at, page, n); });
}

Status Space::copy_out(uint64_t address, const void* buffer, size_t length) {
  if (kernel_addressed_) {
    mem_copy(reinterpret_cast<void*>(address), buffer, length);
    return Status::kOk;
  }
  const auto* in = static_cast<const uint8_t*>(buffer);
  return for_user_pages(*this, address, length, kPageWrite,
                        [&](void* page, size_t at, size_t n) { mem_copy(page, in + at, n); });
}

void Space::terminate(int64_t code) {
  if (!alive_) return;
  // Descendants first, deepest first, without recursion: each round ends one leaf of the
  // subtree, which leaves its parent's child list.
  // bound: each round ends one leaf, which leaves the tree: the subtree's spaces
  for (;;) {
    Space* leaf = this;
    // bound: one step per level of the process tree below this space
    while (Space* child = leaf->children_.front())
      leaf = child;
    if (leaf == this) break;
    leaf->end_self(code);
  }
  end_self(code);
}

void Space::end_self(int64_t code) {
  alive_ = false;
  exit_code_ = code;
  // bound: one step per thread of the space
  for (Thread* t = threads_.front(); t != nullptr; t = threads_.next(t))
    kill_thread(t);
  if (parent_ != nullptr) {
    SpaceList::remove(this);
    parent_ = nullptr;
  }
  acquire();  // the queue's: the object outlives its teardown
  g_teardown.push_back(this);
  add_background_work();
}

bool Space::teardown_step(size_t* budget) {
  // 1. Mappings, a page at a time: a mapping too big for the budget loses its first pages (the
  // rest stays a valid, smaller mapping of the same object).
  // bound: each round unmaps a mapping, which leaves the list, or returns
  while (Mapping* m = mappings_.front()) {
    if (*budget == 0) return false;
    if (m->pages > *budget) {
      size_t tables = 0;
      arch::unmap_range(as_, m->vaddr, *budget, kernel_frames(), &tables);
      own_bytes_ -= tables * kPageSize;
      own_quota_->uncharge(tables * kPageSize);
      m->vaddr += *budget * kPageSize;
      m->first_page += *budget;
      m->pages -= *budget;
      *budget = 0;
      return false;
    }
    *budget -= m->pages;
    unmap_mapping(m);
  }
  // 2. Capabilities.
  if (!caps_.clear_step(*own_quota_, budget)) return false;
  // 3. What is left of the page tables (a few: the mappings took theirs).
  size_t tables = 0;
  arch::destroy_address_space(as_, kernel_frames(), &tables);
  own_bytes_ -= tables * kPageSize;
  own_quota_->uncharge(tables * kPageSize);
  return true;
}

bool run_space_teardown(size_t* budget) {
  // Each step either finishes a space (which leaves the queue) or uses up the budget.
  // bound: each round finishes a space, which leaves the queue, or returns
  while (Space* s = g_teardown.front()) {
    if (!s->teardown_step(budget)) return false;
    TeardownQueue::remove(s);
    init_space_ended(s);
    s->release();
  }
  return true;
}

}  // namespace hmk
