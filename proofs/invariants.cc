// The invariant checker. Each check_* function walks one part of the kernel state and returns
// the first violation it finds; pointers are only followed after they were found among the
// live objects or capability slots, so a corrupt link is reported rather than followed. Every
// walk is bounded by a count taken first (live objects, capabilities) or by kWalkLimit.
#include "proofs/invariants.h"

#include <stdarg.h>

#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/cap.h"
#include "core/endpoint.h"
#include "core/ioports.h"
#include "core/irq.h"
#include "core/kernel_service.h"
#include "core/kmem.h"
#include "core/lib/format.h"
#include "core/memory_object.h"
#include "core/notification.h"
#include "core/object.h"
#include "core/quota.h"
#include "core/scheduler.h"
#include "core/space.h"
#include "core/thread.h"

namespace hmk::proofs {
namespace {

using abi::Handle;

// Bound for walks over lists whose length nothing else records (quota accounts, mappings).
constexpr size_t kWalkLimit = size_t{1} << 20;

char g_message[256];

const char* fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
const char* fail(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnformat(g_message, sizeof(g_message), fmt, args);
  va_end(args);
  return g_message;
}

// Returns the violation from the enclosing check function when `cond` does not hold.
#define EXPECT(cond, ...)       \
  do {                          \
    if (!(cond)) {              \
      return fail(__VA_ARGS__); \
    }                           \
  } while (0)

// Runs a nested check and passes its violation up.
#define PASS_UP(expr)              \
  do {                             \
    if (const char* v_ = (expr)) { \
      return v_;                   \
    }                              \
  } while (0)

// Set by check_registry; later walks use them as bounds.
size_t g_objects = 0;
size_t g_threads = 0;
size_t g_caps = 0;

// ---- lookups that never follow an unverified pointer ----

KernelObject* first_object() {
  return live_objects().front();
}
KernelObject* next_object(const KernelObject* o) {
  return live_objects().next(o);
}

// Whether `p` is a live object of `type` (kNone: of any type).
bool is_live(const void* p, ObjectType type) {
  size_t n = 0;
  for (KernelObject* o = first_object(); o != nullptr && n <= g_objects; o = next_object(o), ++n) {
    if (o == p) return type == ObjectType::kNone || o->type() == type;
  }
  return false;
}

bool quota_is_live(const Quota* q) {
  size_t n = 0;
  for (Quota* l = live_quotas().front(); l != nullptr && n < kWalkLimit;
       l = live_quotas().next(l)) {
    if (l == q) return true;
    ++n;
  }
  return false;
}

Space* as_space(KernelObject* o) {
  return o->type() == ObjectType::kSpace ? static_cast<Space*>(o) : nullptr;
}
Thread* as_thread(KernelObject* o) {
  return o->type() == ObjectType::kThread ? static_cast<Thread*>(o) : nullptr;
}

int name_length(const Space& s) {
  return static_cast<int>(s.name().size());
}

// Whether `list` holds `item`, looking at no more than `bound` elements.
template <typename ListT, typename T>
bool bounded_contains(const ListT& list, const T* item, size_t bound) {
  size_t n = 0;
  for (T* i = list.front(); i != nullptr && n <= bound; i = list.next(i), ++n) {
    if (i == item) return true;
  }
  return false;
}

// Length of `list`, or bound + 1 if it is longer (or cyclic).
template <typename ListT>
size_t bounded_size(const ListT& list, size_t bound) {
  size_t n = 0;
  for (auto* i = list.front(); i != nullptr && n <= bound; i = list.next(i))
    ++n;
  return n;
}

// A capability slot found by address.
struct Slot {
  Space* space;
  Handle handle;
};

// Whether `p` is exactly a slot of some live space's table; where it is in *slot.
bool locate(const Capability* p, Slot* slot) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  size_t n = 0;
  for (KernelObject* o = first_object(); o != nullptr && n <= g_objects; o = next_object(o), ++n) {
    Space* s = as_space(o);
    if (s == nullptr) continue;
    CapTable& table = s->caps();
    for (size_t i = 0; i < CapTable::kMaxPages && table.page(i) != nullptr; ++i) {
      const auto base = reinterpret_cast<uintptr_t>(table.page(i));
      if (addr < base || addr >= base + CapTable::kSlotsPerPage * sizeof(Capability)) continue;
      if ((addr - base) % sizeof(Capability) != 0) return false;
      slot->space = s;
      slot->handle =
          static_cast<Handle>(i * CapTable::kSlotsPerPage + (addr - base) / sizeof(Capability));
      return true;
    }
  }
  return false;
}

bool thread_started(const Thread* t) {
  return t->state() != ThreadState::kInactive && t->state() != ThreadState::kDead;
}

// ---- 1. the object registry and the quota registry ----

const char* check_registry() {
  g_objects = live_object_count();
  g_threads = 0;
  size_t n = 0;
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    EXPECT(++n <= g_objects, "the object registry holds more than the %zu objects counted live",
           g_objects);
    const auto type = static_cast<uint32_t>(o->type());
    EXPECT(type >= static_cast<uint32_t>(ObjectType::kSpace) &&
               type <= static_cast<uint32_t>(ObjectType::kIoPorts),
           "object %p in the registry has type %u", static_cast<void*>(o), type);
    EXPECT(o->zombie_node.linked() == (o->refs() == 0),
           "%s object %p has %u references but is %s the reap queue", object_type_name(o->type()),
           static_cast<void*>(o), o->refs(), o->zombie_node.linked() ? "in" : "not in");
    if (o->type() == ObjectType::kIrqControl) {
      EXPECT(o->quota() == nullptr && o->charged() == 0, "IrqControl is charged to a quota");
    } else {
      EXPECT(o->quota() != nullptr && quota_is_live(o->quota()),
             "%s object %p is charged to a quota account that is not live",
             object_type_name(o->type()), static_cast<void*>(o));
    }
    if (o->type() == ObjectType::kThread) ++g_threads;
  }
  EXPECT(n == g_objects, "the object registry holds %zu objects, %zu counted live", n, g_objects);

  size_t quotas = 0;
  for (Quota* q = live_quotas().front(); q != nullptr; q = live_quotas().next(q)) {
    EXPECT(++quotas < kWalkLimit, "the quota registry is longer than %zu (cyclic?)", kWalkLimit);
    EXPECT(q->used() <= q->limit(), "quota account %p uses %lu of a %lu-byte limit",
           static_cast<void*>(q), q->used(), q->limit());
    EXPECT(q->refs() > 0, "quota account %p is live with no references", static_cast<void*>(q));
    EXPECT(q->parent() == nullptr || quota_is_live(q->parent()),
           "quota account %p has a parent account that is not live", static_cast<void*>(q));
  }
  return nullptr;
}

// ---- 2. spaces: the process tree, threads, mappings and page tables ----

const char* check_mappings(Space* s) {
  const int len = name_length(*s);
  const char* name = s->name().data();
  Space::MappingList& list = s->mappings();
  size_t n = 0;
  for (Mapping* m = list.front(); m != nullptr; m = list.next(m)) {
    EXPECT(++n < kWalkLimit, "space '%.*s' has more than %zu mappings (cyclic?)", len, name,
           kWalkLimit);
    EXPECT(is_live(m->memory, ObjectType::kMemory),
           "a mapping at 0x%lx in space '%.*s' names a dead memory object", m->vaddr, len, name);
    EXPECT(m->memory->filled(),
           "a mapping at 0x%lx in space '%.*s' names a memory object still being made", m->vaddr,
           len, name);
    uint64_t bytes = 0;
    uint64_t end = 0;
    EXPECT(m->pages > 0 && m->vaddr % kPageSize == 0 && m->vaddr >= arch::kUserLowest &&
               !__builtin_mul_overflow(m->pages, kPageSize, &bytes) &&
               !__builtin_add_overflow(m->vaddr, bytes, &end) && end <= arch::kUserHighest,
           "mapping at 0x%lx (%lu pages) in space '%.*s' is not a page range of user space",
           m->vaddr, m->pages, len, name);
    EXPECT(m->first_page <= m->memory->pages() && m->pages <= m->memory->pages() - m->first_page,
           "mapping at 0x%lx in space '%.*s' runs past the end of its memory object", m->vaddr, len,
           name);
    constexpr uint32_t kPageRights = abi::kRightRead | abi::kRightWrite | abi::kRightExecute;
    EXPECT((m->rights & abi::kRightRead) && (m->rights & ~kPageRights) == 0 &&
               (m->rights & ~m->max_rights) == 0 &&
               !((m->rights & abi::kRightWrite) && (m->rights & abi::kRightExecute)),
           "mapping at 0x%lx in space '%.*s' has rights 0x%x (limit 0x%x): not readable, "
           "beyond its limit, or writable and executable",
           m->vaddr, len, name, m->rights, m->max_rights);
    for (Mapping* o = list.next(m); o != nullptr; o = list.next(o)) {
      EXPECT(o->vaddr >= end || m->vaddr >= o->vaddr + o->pages * kPageSize,
             "mappings at 0x%lx and 0x%lx in space '%.*s' overlap", m->vaddr, o->vaddr, len, name);
    }
    EXPECT(m->space == s && m->memory->mappings().contains(m),
           "mapping at 0x%lx in space '%.*s' is not in its memory object's list of mappings, or "
           "names another space",
           m->vaddr, len, name);
    // The page tables say what the mapping says (the execute bit is not observable through
    // the contract). A page in the tables is its object's frame, writable only if the mapping
    // is and no other object shares the frame (copy-on-write). An object that never shared a
    // frame and is not lazy has every page in the tables, writable exactly if the mapping is;
    // otherwise a page may be missing (kernel paging puts it in on the first fault) or
    // read-only (a fault makes it writable), but never mapped while its object has no frame.
    const bool exact = !m->memory->lazy() && !m->memory->ever_shared();
    for (uint64_t i = 0; i < m->pages; ++i) {
      const uint64_t v = m->vaddr + i * kPageSize;
      const PhysAddr frame = m->memory->frame(m->first_page + i);
      Result<PhysAddr> r = arch::translate_user(s->address_space(), v, kPageRead);
      EXPECT(r.ok() ? *r == frame && frame != 0 : !exact,
             "page 0x%lx of space '%.*s' is not mapped to frame %lu of its memory object", v, len,
             name, m->first_page + i);
      const bool writable = arch::translate_user(s->address_space(), v, kPageWrite).ok();
      const bool may_write =
          (m->rights & abi::kRightWrite) != 0 && (frame == 0 || frame_holders(frame) == 1);
      EXPECT(exact ? writable == may_write : (!writable || may_write),
             "page 0x%lx of space '%.*s' is %swritable in the page tables, against its mapping", v,
             len, name, writable ? "" : "not ");
    }
  }
  return nullptr;
}

const char* check_space(Space* s) {
  const int len = name_length(*s);
  const char* name = s->name().data();
  EXPECT(quota_is_live(&s->own_quota()), "space '%.*s' spends from a quota account not live", len,
         name);
  if (s->address_space().root != 0) {
    // It pays for exactly the page tables it has and its mapping records.
    const uint64_t tables = arch::page_table_count(s->address_space());
    const uint64_t records = s->mappings().size() * Space::mapping_record_bytes();
    EXPECT(s->own_bytes() == tables * kPageSize + records,
           "space '%.*s' accounts %lu bytes of its own for %lu page tables and %lu bytes of "
           "mapping records",
           len, name, s->own_bytes(), tables, records);
  }
  if (s->alive()) {
    EXPECT(s->address_space().root != 0, "live space '%.*s' has no page tables", len, name);
    Space* parent = s->parent();
    if (parent != nullptr) {
      EXPECT(is_live(parent, ObjectType::kSpace) && parent->alive(),
             "live space '%.*s' has a parent that is not a live space", len, name);
      EXPECT(bounded_contains(parent->children(), s, g_objects),
             "space '%.*s' is missing from its parent's children", len, name);
    }
  } else if (s->tearing_down()) {
    // Ended, giving back mappings, capabilities and page tables a step at a time.
    EXPECT(s->children().empty() && s->parent() == nullptr,
           "ending space '%.*s' is still in the process tree", len, name);
    EXPECT(s->live_threads() == 0, "ending space '%.*s' still has live threads", len, name);
  } else {
    EXPECT(s->caps().page_count() == 0 && s->caps().page(0) == nullptr,
           "dead space '%.*s' still has a capability table", len, name);
    EXPECT(s->mappings().empty(), "dead space '%.*s' still has mappings", len, name);
    EXPECT(s->children().empty() && s->parent() == nullptr,
           "dead space '%.*s' is still in the process tree", len, name);
    EXPECT(s->own_bytes() == 0, "dead space '%.*s' still accounts %lu bytes of its own", len, name,
           s->own_bytes());
    EXPECT(s->address_space().root == 0, "dead space '%.*s' still has page tables", len, name);
  }
  size_t children = 0;
  for (Space* c = s->children().front(); c != nullptr; c = s->children().next(c)) {
    EXPECT(++children <= g_objects, "space '%.*s' has a cyclic child list", len, name);
    EXPECT(is_live(c, ObjectType::kSpace) && c->parent() == s,
           "a child of space '%.*s' is not a live space whose parent it is", len, name);
  }
  // The thread list holds exactly the Thread objects of this space; the started ones that
  // have not died are what live_threads counts.
  size_t listed = 0;
  uint32_t running = 0;
  for (Thread* t = s->threads().front(); t != nullptr; t = s->threads().next(t)) {
    EXPECT(++listed <= g_threads, "the thread list of space '%.*s' is longer than %zu threads", len,
           name, g_threads);
    EXPECT(is_live(t, ObjectType::kThread) && &t->space() == s,
           "the thread list of space '%.*s' holds something not a live thread of it", len, name);
    if (thread_started(t)) ++running;
  }
  size_t owned = 0;
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    if (Thread* t = as_thread(o); t != nullptr && &t->space() == s) ++owned;
  }
  EXPECT(listed == owned, "space '%.*s' lists %zu threads but %zu threads run in it", len, name,
         listed, owned);
  EXPECT(running == s->live_threads(), "space '%.*s' counts %u live threads, %u are started", len,
         name, s->live_threads(), running);
  if (!s->alive()) {
    EXPECT(running == 0, "dead space '%.*s' has a thread that is not dead", len, name);
  } else {
    PASS_UP(check_mappings(s));
  }
  return nullptr;
}

const char* check_spaces() {
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    if (Space* s = as_space(o)) PASS_UP(check_space(s));
  }
  return nullptr;
}

// W^X across mappings: each memory object's counts of writable and executable mappings are
// what its mappings in every space say, and never both non-zero.
const char* check_memory_object(MemoryObject* mem) {
  uint64_t writable = 0;
  uint64_t executable = 0;
  size_t mappings = 0;
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    Space* s = as_space(o);
    if (s == nullptr) continue;
    size_t n = 0;
    for (Mapping* m = s->mappings().front(); m != nullptr && n < kWalkLimit;
         m = s->mappings().next(m), ++n) {
      if (m->memory != mem) continue;
      if (m->rights & abi::kRightWrite) ++writable;
      if (m->rights & abi::kRightExecute) ++executable;
      ++mappings;
    }
  }
  size_t listed = 0;
  for (Mapping* m = mem->mappings().front(); m != nullptr && listed < kWalkLimit;
       m = mem->mappings().next(m), ++listed) {
    EXPECT(m->memory == mem, "memory object %p lists a mapping of another object",
           static_cast<void*>(mem));
  }
  EXPECT(listed == mappings, "memory object %p lists %zu mappings, the spaces have %zu",
         static_cast<void*>(mem), listed, mappings);
  EXPECT(mem->writable_mappings() == writable && mem->executable_mappings() == executable,
         "memory object %p counts %lu writable and %lu executable mappings, its mappings are "
         "%lu and %lu",
         static_cast<void*>(mem), mem->writable_mappings(), mem->executable_mappings(), writable,
         executable);
  EXPECT(writable == 0 || executable == 0,
         "memory object %p is mapped writable (%lu) and executable (%lu) at once",
         static_cast<void*>(mem), writable, executable);
  return nullptr;
}

const char* check_memory_objects() {
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    if (o->type() == ObjectType::kMemory)
      PASS_UP(check_memory_object(static_cast<MemoryObject*>(o)));
  }
  return nullptr;
}

// ---- 3. capabilities and the derivation tree ----

const char* check_slot(Space* s, Handle h, Capability* cap) {
  const int len = name_length(*s);
  const char* name = s->name().data();
  // `h` is the slot number here; the key carries the slot's generation above it.
  if (cap->empty()) {
    EXPECT(cap->rights == 0 && cap->type == ObjectType::kNone && cap->badge == 0 &&
               cap->parent == nullptr && cap->first_child == nullptr &&
               cap->next_sibling == nullptr && cap->prev_sibling == nullptr,
           "empty slot %u in space '%.*s' is not cleared", h, len, name);
    EXPECT(((cap->key ^ 1) >> 32 == 0 && CapTable::slot_of(cap->key ^ 1) == h) ||
               cap->key == ((h ^ 1) | CapTable::kRetiredKey),
           "empty slot %u in space '%.*s' has key 0x%lx, not its next handle with bit 0 flipped "
           "(nor a retired slot's key)",
           h, len, name, cap->key);
    return nullptr;
  }
  EXPECT(h != abi::kNullHandle, "space '%.*s' has a capability in slot 0", len, name);
  EXPECT(cap->key >> 32 == 0 && CapTable::slot_of(cap->key) == h,
         "capability in space '%.*s' slot %u has key 0x%lx, not a handle of that slot", len, name,
         h, cap->key);
  EXPECT(is_live(cap->object, ObjectType::kNone),
         "capability in space '%.*s' slot %u names a dead object", len, name, h);
  EXPECT(cap->type == cap->object->type(),
         "capability in space '%.*s' slot %u caches type %s for a %s", len, name, h,
         object_type_name(cap->type), object_type_name(cap->object->type()));
  EXPECT(cap->object->refs() > 0,
         "capability in space '%.*s' slot %u names an object with no references", len, name, h);
  EXPECT((cap->rights & ~static_cast<uint32_t>(abi::kRightsAll)) == 0,
         "capability in space '%.*s' slot %u has undefined rights 0x%x", len, name, h, cap->rights);
  EXPECT(cap->badge == 0 || cap->type == ObjectType::kEndpoint ||
             cap->type == ObjectType::kNotification,
         "capability in space '%.*s' slot %u is a badged %s", len, name, h,
         object_type_name(cap->type));
  const Capability* links[] = {cap->parent, cap->first_child, cap->next_sibling, cap->prev_sibling};
  const char* link_names[] = {"parent", "first child", "next sibling", "previous sibling"};
  for (size_t i = 0; i < 4; ++i) {
    Slot where{};
    EXPECT(links[i] == nullptr || (locate(links[i], &where) && !links[i]->empty()),
           "the %s link of capability in space '%.*s' slot %u is not a full capability slot",
           link_names[i], len, name, h);
  }
  return nullptr;
}

const char* check_tree(Space* s, Handle h, Capability* cap) {
  const int len = name_length(*s);
  const char* name = s->name().data();
  Capability* parent = cap->parent;
  if (parent != nullptr) {
    EXPECT(parent->object == cap->object,
           "capability in space '%.*s' slot %u names another object than its parent", len, name, h);
    EXPECT((cap->rights & ~parent->rights) == 0,
           "capability in space '%.*s' slot %u has rights 0x%x beyond its parent's 0x%x", len, name,
           h, cap->rights, parent->rights);
    EXPECT(parent->badge == 0 || cap->badge == parent->badge,
           "capability in space '%.*s' slot %u has badge %lu, its badged parent %lu", len, name, h,
           cap->badge, parent->badge);
    size_t n = 0;
    const Capability* c = parent->first_child;
    while (c != nullptr && c != cap && n++ <= g_caps)
      c = c->next_sibling;
    EXPECT(c == cap, "capability in space '%.*s' slot %u is missing from its parent's children",
           len, name, h);
    if (cap->prev_sibling == nullptr) {
      EXPECT(parent->first_child == cap,
             "capability in space '%.*s' slot %u has no previous sibling but is not its "
             "parent's first child",
             len, name, h);
    }
  } else {
    EXPECT(cap->prev_sibling == nullptr && cap->next_sibling == nullptr,
           "root capability in space '%.*s' slot %u has siblings", len, name, h);
  }
  if (Capability* prev = cap->prev_sibling) {
    EXPECT(prev->next_sibling == cap && prev->parent == parent,
           "capability in space '%.*s' slot %u and its previous sibling disagree", len, name, h);
  }
  if (Capability* next = cap->next_sibling) {
    EXPECT(next->prev_sibling == cap && next->parent == parent,
           "capability in space '%.*s' slot %u and its next sibling disagree", len, name, h);
  }
  if (Capability* child = cap->first_child) {
    EXPECT(child->parent == cap && child->prev_sibling == nullptr,
           "capability in space '%.*s' slot %u and its first child disagree", len, name, h);
  }
  // No cycles: the ancestors of a capability are fewer than all capabilities.
  size_t depth = 0;
  for (const Capability* p = parent; p != nullptr; p = p->parent) {
    EXPECT(++depth <= g_caps, "capability in space '%.*s' slot %u is its own ancestor", len, name,
           h);
  }
  return nullptr;
}

// Calls fn(space, handle, slot) for every slot of every live table; stops at a violation.
template <typename Fn>
const char* for_each_slot(Fn fn) {
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    Space* s = as_space(o);
    if (s == nullptr) continue;
    CapTable& table = s->caps();
    const size_t pages = table.page_count();
    for (size_t i = pages; i < CapTable::kMaxPages; ++i) {
      EXPECT(table.page(i) == nullptr, "the capability table of space '%.*s' has a gap",
             name_length(*s), s->name().data());
    }
    for (size_t i = 0; i < pages; ++i) {
      for (size_t j = 0; j < CapTable::kSlotsPerPage; ++j) {
        PASS_UP(fn(s, static_cast<Handle>(i * CapTable::kSlotsPerPage + j), &table.page(i)[j]));
      }
    }
  }
  return nullptr;
}

const char* check_capabilities() {
  g_caps = 0;
  PASS_UP(for_each_slot([](Space* s, Handle h, Capability* cap) -> const char* {
    PASS_UP(check_slot(s, h, cap));
    if (!cap->empty()) ++g_caps;
    return nullptr;
  }));
  return for_each_slot([](Space* s, Handle h, Capability* cap) -> const char* {
    return cap->empty() ? nullptr : check_tree(s, h, cap);
  });
}

// ---- 4. threads: each in exactly the place its state names ----

const char* describe(const Thread* t) {
  static char buffer[96];
  snformat(buffer, sizeof(buffer), "%s thread %p of space '%.*s'", thread_state_name(t->state()),
           static_cast<const void*>(t), name_length(t->space()), t->space().name().data());
  return buffer;
}

// A thread is in the one queue its state says, or in none.
const char* check_thread_queue(Thread* t) {
  const bool queued = t->queue_node.linked();
  switch (t->state()) {
    case ThreadState::kInactive:
    case ThreadState::kDead:
    case ThreadState::kRunning:
    case ThreadState::kBlockedOnReply:
    case ThreadState::kBlockedOnKernel:
      EXPECT(!queued, "%s is in a queue", describe(t));
      EXPECT(t->blocked_on() == nullptr, "%s is marked blocked on an object", describe(t));
      break;
    case ThreadState::kReady:
      EXPECT(bounded_contains(scheduler().queue(t->priority()), t, g_threads),
             "%s is not in the run queue of its priority %u", describe(t), t->priority());
      EXPECT(t->blocked_on() == nullptr, "%s is marked blocked on an object", describe(t));
      break;
    case ThreadState::kBlockedOnSend:
    case ThreadState::kBlockedOnReceive: {
      EXPECT(is_live(t->blocked_on(), ObjectType::kEndpoint),
             "%s is not blocked on a live endpoint", describe(t));
      auto* ep = static_cast<Endpoint*>(t->blocked_on());
      EXPECT(bounded_contains(ep->queue(), t, g_threads), "%s is not in its endpoint's queue",
             describe(t));
      if (t->state() == ThreadState::kBlockedOnSend) {
        // The capability a queued send went through: its deletion cancels the send.
        Slot slot;
        EXPECT(t->send_cap() != nullptr && locate(t->send_cap(), &slot) &&
                   !t->send_cap()->empty() && t->send_cap()->object == ep &&
                   t->send_cap()->badge == t->send_badge(),
               "%s waits to send through a capability that is gone or names another endpoint",
               describe(t));
      } else {
        // The capability a waiting receive went through: its deletion cancels the receive.
        Slot slot;
        EXPECT(t->recv_cap() != nullptr && locate(t->recv_cap(), &slot) &&
                   !t->recv_cap()->empty() && t->recv_cap()->object == ep &&
                   (t->recv_cap()->rights & abi::kRightReceive) != 0,
               "%s waits to receive through a capability that is gone, names another endpoint "
               "or lacks Receive",
               describe(t));
      }
      break;
    }
    case ThreadState::kBlockedOnNotification: {
      EXPECT(is_live(t->blocked_on(), ObjectType::kNotification),
             "%s is not blocked on a live notification", describe(t));
      auto* n = static_cast<Notification*>(t->blocked_on());
      EXPECT(bounded_contains(n->waiters(), t, g_threads),
             "%s is not among its notification's waiters", describe(t));
      break;
    }
  }
  return nullptr;
}

// What a thread holds besides its queue: a send's or receive's capability, a half-made memory
// object, and
// the reply relation (caller and replier name each other, without a cycle).
const char* check_thread_links(Thread* t) {
  if (t->state() != ThreadState::kBlockedOnSend) {
    EXPECT(t->send_cap() == nullptr, "%s still names the capability of a finished send",
           describe(t));
  }
  if (t->pending_memory() != nullptr) {
    EXPECT(thread_started(t) && is_live(t->pending_memory(), ObjectType::kMemory) &&
               !t->pending_memory()->filled() && t->pending_memory()->refs() == 1,
           "%s parks a memory object that is not its own half-made one", describe(t));
    // Only between the steps of its memory_create or memory_clone, whose number is still in
    // place.
    const uint64_t number = t->regs()[arch::kSysNumber];
    EXPECT(number == static_cast<uint64_t>(abi::Syscall::kMemoryCreate) ||
               number == static_cast<uint64_t>(abi::Syscall::kMemoryClone),
           "%s parks a half-made memory object outside a memory_create or memory_clone",
           describe(t));
  }
  if (t->state() == ThreadState::kRunning) {
    EXPECT(scheduler().current() == t, "%s is not the current thread", describe(t));
  }
  // The reply relation: caller_ and replier_ name each other.
  if (t->state() == ThreadState::kBlockedOnReply) {
    EXPECT(is_live(t->replier(), ObjectType::kThread), "%s has no live thread to reply to it",
           describe(t));
    EXPECT(t->replier()->caller() == t, "%s is not its replier's caller", describe(t));
    EXPECT(thread_started(t->replier()), "%s waits for a reply from a thread that cannot run",
           describe(t));
  } else {
    EXPECT(t->replier() == nullptr, "%s still names a replier", describe(t));
  }
  // A saved reply (core/kernel_service.h): its slot names the thread back.
  if (t->state() == ThreadState::kBlockedOnKernel) {
    EXPECT(saved_reply_waiter(t->saved_reply_slot()) == t,
           "%s waits for a kernel service in a saved-reply slot that is not its own", describe(t));
  }
  if (t->caller() != nullptr) {
    EXPECT(thread_started(t), "%s still holds a caller", describe(t));
    EXPECT(is_live(t->caller(), ObjectType::kThread) &&
               t->caller()->state() == ThreadState::kBlockedOnReply && t->caller()->replier() == t,
           "the caller of %s is not waiting for its reply", describe(t));
  }
  size_t depth = 0;
  for (const Thread* r = t->replier(); r != nullptr; r = r->replier()) {
    EXPECT(++depth <= g_threads, "%s waits for a reply in a cycle", describe(t));
  }
  return nullptr;
}

const char* check_thread(Thread* t) {
  EXPECT(is_live(&t->space(), ObjectType::kSpace), "thread %p runs in a space that is not live",
         static_cast<void*>(t));
  EXPECT(t->space().alive() || t->state() == ThreadState::kDead, "%s lives on in a dead space",
         describe(t));
  PASS_UP(check_thread_queue(t));
  return check_thread_links(t);
}

// How many threads are in each kind of queue, by their states.
struct ThreadCounts {
  size_t ready = 0;
  size_t on_endpoints = 0;
  size_t on_notifications = 0;
  size_t on_kernel = 0;  // kBlockedOnKernel: one saved-reply slot each
};

// Every queue holds only threads in the matching state, so with the counts equal each such
// thread is in exactly one queue (a thread has one queue link).
const char* check_run_queues(const ThreadCounts& counts) {
  size_t in_run_queues = 0;
  for (uint32_t p = 0; p < abi::kPriorityCount; ++p) {
    const Scheduler::Queue& q = scheduler().queue(p);
    size_t n = 0;
    for (Thread* t = q.front(); t != nullptr; t = q.next(t)) {
      EXPECT(++n <= g_threads, "run queue %u is longer than there are threads", p);
      EXPECT(t->state() == ThreadState::kReady && t->priority() == p,
             "run queue %u holds %s of priority %u", p, describe(t), t->priority());
    }
    EXPECT(scheduler().priority_marked(p) == (n != 0),
           "the scheduler bitmap says run queue %u is %s, it holds %zu threads", p,
           scheduler().priority_marked(p) ? "non-empty" : "empty", n);
    in_run_queues += n;
  }
  EXPECT(in_run_queues == counts.ready, "the run queues hold %zu threads, %zu are ready",
         in_run_queues, counts.ready);
  for (uint32_t word = 0; word < abi::kPriorityCount / 64; ++word) {
    bool any = false;
    for (uint32_t p = word * 64; p < word * 64 + 64; ++p)
      any = any || scheduler().priority_marked(p);
    EXPECT(scheduler().summary_marked(word) == any,
           "the scheduler summary says bitmap word %u is %s, it is not", word,
           scheduler().summary_marked(word) ? "non-zero" : "zero");
  }
  return nullptr;
}

// An endpoint's queue holds only threads blocked on it in the state its kind says; adds their
// number to `*total`.
const char* check_endpoint_queue(Endpoint* ep, size_t* total) {
  const Endpoint::QueueKind kind = ep->kind();
  const ThreadState want = kind == Endpoint::QueueKind::kSenders ? ThreadState::kBlockedOnSend
                                                                 : ThreadState::kBlockedOnReceive;
  size_t n = 0;
  for (Thread* t = ep->queue().front(); t != nullptr; t = ep->queue().next(t)) {
    EXPECT(++n <= g_threads, "an endpoint queue is longer than there are threads");
    EXPECT(kind != Endpoint::QueueKind::kIdle && t->state() == want && t->blocked_on() == ep,
           "the %s queue of endpoint %p holds %s",
           kind == Endpoint::QueueKind::kSenders ? "sender" : "receiver", static_cast<void*>(ep),
           describe(t));
  }
  EXPECT((n == 0) == (kind == Endpoint::QueueKind::kIdle),
         "endpoint %p has %zu waiters but its queue kind says %s", static_cast<void*>(ep), n,
         kind == Endpoint::QueueKind::kIdle ? "idle" : "waiting");
  *total += n;
  return nullptr;
}

// A notification's waiters are blocked on it, and it has no pending bits while they wait; adds
// their number to `*total`.
const char* check_waiters(Notification* nt, size_t* total) {
  size_t n = 0;
  for (Thread* t = nt->waiters().front(); t != nullptr; t = nt->waiters().next(t)) {
    EXPECT(++n <= g_threads, "a notification's waiters are more than there are threads");
    EXPECT(t->state() == ThreadState::kBlockedOnNotification && t->blocked_on() == nt,
           "the waiters of notification %p include %s", static_cast<void*>(nt), describe(t));
  }
  EXPECT(n == 0 || nt->word() == 0,
         "notification %p has waiters and pending bits 0x%lx: a signal did not wake them",
         static_cast<void*>(nt), nt->word());
  *total += n;
  return nullptr;
}

const char* check_ipc_queues(const ThreadCounts& counts) {
  size_t in_endpoints = 0;
  size_t in_waiters = 0;
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    if (o->type() == ObjectType::kEndpoint) {
      PASS_UP(check_endpoint_queue(static_cast<Endpoint*>(o), &in_endpoints));
    } else if (o->type() == ObjectType::kNotification) {
      PASS_UP(check_waiters(static_cast<Notification*>(o), &in_waiters));
    }
  }
  EXPECT(in_endpoints == counts.on_endpoints,
         "endpoint queues hold %zu threads, %zu are blocked there", in_endpoints,
         counts.on_endpoints);
  EXPECT(in_waiters == counts.on_notifications,
         "notification waiters are %zu threads, %zu are blocked on notifications", in_waiters,
         counts.on_notifications);
  return nullptr;
}

const char* check_threads() {
  Thread* current = scheduler().current();
  if (current != nullptr) {
    EXPECT(is_live(current, ObjectType::kThread), "the current thread is not a live thread");
    // Between a thread's blocking and the scheduler's next choice it is still current_.
    EXPECT(current->state() == ThreadState::kRunning || current->blocked(),
           "the current thread is %s", thread_state_name(current->state()));
  }
  ThreadCounts counts;
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    Thread* t = as_thread(o);
    if (t == nullptr) continue;
    PASS_UP(check_thread(t));
    if (t->state() == ThreadState::kReady) ++counts.ready;
    if (t->state() == ThreadState::kBlockedOnSend || t->state() == ThreadState::kBlockedOnReceive) {
      ++counts.on_endpoints;
    }
    if (t->state() == ThreadState::kBlockedOnNotification) ++counts.on_notifications;
    if (t->state() == ThreadState::kBlockedOnKernel) ++counts.on_kernel;
  }
  // Every saved reply's slot holds a live thread waiting in it, and no other slot is in use.
  uint32_t saved = 0;
  for (uint32_t slot = 0; slot < kMaxSavedReplies; ++slot) {
    Thread* w = saved_reply_waiter(slot);
    if (w == nullptr) continue;
    ++saved;
    EXPECT(is_live(w, ObjectType::kThread) && w->state() == ThreadState::kBlockedOnKernel &&
               w->saved_reply_slot() == slot,
           "saved-reply slot %u names a thread that does not wait in it", slot);
  }
  EXPECT(saved == saved_reply_count() && saved == counts.on_kernel,
         "%u saved-reply slots are in use, the count says %u, %zu threads wait in one", saved,
         saved_reply_count(), counts.on_kernel);
  PASS_UP(check_run_queues(counts));
  return check_ipc_queues(counts);
}

// ---- 5. interrupts ----

const char* check_irqs() {
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    if (o->type() == ObjectType::kIrq) {
      auto* irq = static_cast<Irq*>(o);
      EXPECT(irq->line() < arch::kIrqLines && arch::irq_line_available(irq->line()),
             "an Irq object owns line %u, which user space may not own", irq->line());
      EXPECT(irq->bound() == nullptr || is_live(irq->bound(), ObjectType::kNotification),
             "the Irq of line %u is bound to something not a live notification", irq->line());
      for (KernelObject* p = next_object(o); p != nullptr; p = next_object(p)) {
        EXPECT(p->type() != ObjectType::kIrq || static_cast<Irq*>(p)->line() != irq->line(),
               "two Irq objects own line %u", irq->line());
      }
    } else if (o->type() == ObjectType::kNotification) {
      auto* n = static_cast<Notification*>(o);
      uint32_t bound = 0;
      for (KernelObject* p = first_object(); p != nullptr; p = next_object(p)) {
        if (p->type() == ObjectType::kIrq && static_cast<Irq*>(p)->bound() == n) ++bound;
      }
      EXPECT(bound == n->irq_bindings(), "notification %p counts %u Irq bindings, %u Irqs bind it",
             static_cast<void*>(n), n->irq_bindings(), bound);
    }
  }
  return nullptr;
}

// ---- 6. I/O port ranges ----

const char* check_ioports() {
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    if (o->type() != ObjectType::kIoPorts) continue;
    auto* ports = static_cast<IoPorts*>(o);
    EXPECT(IoPorts::valid_range(ports->base(), ports->count()),
           "IoPorts object %p covers %u ports from 0x%x: not a range of the 16-bit port space",
           static_cast<void*>(ports), ports->count(), ports->base());
  }
  return nullptr;
}

// ---- 7. reference counts ----

const char* check_references() {
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    const uint32_t accounted = accounted_references(*o);
    if (o->type() == ObjectType::kSpace) {
      auto* s = static_cast<Space*>(o);
      EXPECT(o->refs() >= accounted && o->refs() <= accounted + 1,
             "space '%.*s' has %u references, %u accounted for (one more may be its starter's)",
             name_length(*s), s->name().data(), o->refs(), accounted);
    } else {
      EXPECT(o->refs() == accounted, "%s object %p has %u references, %u accounted for",
             object_type_name(o->type()), static_cast<void*>(o), o->refs(), accounted);
    }
  }
  return nullptr;
}

// ---- 8. quota accounts: used bytes and references, exactly ----

const char* check_quotas() {
  for (Quota* q = live_quotas().front(); q != nullptr; q = live_quotas().next(q)) {
    uint64_t used = 0;
    uint32_t refs = 0;
    for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
      if (o->quota() == q) {
        used += o->charged();
        ++refs;
      }
      if (Space* s = as_space(o); s != nullptr && &s->own_quota() == q) {
        used += s->own_bytes() + s->caps().page_count() * kPageSize;
        ++refs;
      }
    }
    size_t n = 0;
    for (Quota* c = live_quotas().front(); c != nullptr && n < kWalkLimit;
         c = live_quotas().next(c), ++n) {
      if (c->parent() == q) {
        used += c->limit() + Quota::bookkeeping_bytes();
        ++refs;
      }
    }
    used += q->external_bytes();  // what kernel services hold for it (kernel_service.h)
    refs += q->external_charges();
    EXPECT(q->used() == used,
           "quota account %p (limit %lu) has %lu bytes used, its objects, spaces, child "
           "accounts and kernel-service charges account for %lu",
           static_cast<void*>(q), q->limit(), q->used(), used);
    EXPECT(q->refs() == refs, "quota account %p has %u references, %u accounted for",
           static_cast<void*>(q), q->refs(), refs);
  }
  return nullptr;
}

}  // namespace

uint32_t accounted_references(const KernelObject& object) {
  uint32_t n = 0;
  for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
    Space* s = as_space(o);
    if (s == nullptr) continue;
    CapTable& table = s->caps();
    for (size_t i = 0; i < CapTable::kMaxPages && table.page(i) != nullptr; ++i) {
      for (size_t j = 0; j < CapTable::kSlotsPerPage; ++j) {
        if (table.page(i)[j].object == &object) ++n;
      }
    }
  }
  switch (object.type()) {
    case ObjectType::kThread:
      if (thread_started(static_cast<const Thread*>(&object))) ++n;
      break;
    case ObjectType::kSpace:
      for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
        if (Thread* t = as_thread(o); t != nullptr && &t->space() == &object) ++n;
      }
      if (static_cast<const Space&>(object).tearing_down()) ++n;  // the teardown queue's
      break;
    case ObjectType::kMemory:
      for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
        if (const Thread* t = as_thread(o); t != nullptr && t->pending_memory() == &object) ++n;
        if (o->type() == ObjectType::kMemory &&
            static_cast<const MemoryObject*>(o)->clone_source() == &object) {
          ++n;  // a clone being made holds its source
        }
        Space* s = as_space(o);
        if (s == nullptr) continue;
        for (Mapping* m = s->mappings().front(); m != nullptr; m = s->mappings().next(m)) {
          if (m->memory == &object) ++n;
        }
      }
      break;
    case ObjectType::kNotification:
      for (KernelObject* o = first_object(); o != nullptr; o = next_object(o)) {
        if (o->type() == ObjectType::kIrq && static_cast<Irq*>(o)->bound() == &object) ++n;
      }
      break;
    case ObjectType::kIrqControl:
      n += 2;  // its creation reference and the one it takes on itself: it never dies
      break;
    case ObjectType::kEndpoint:
    case ObjectType::kIrq:
    case ObjectType::kIoPorts:
    case ObjectType::kNone:
      break;
  }
  return n;
}

const char* check_invariants() {
  PASS_UP(check_registry());
  PASS_UP(check_spaces());
  PASS_UP(check_memory_objects());
  PASS_UP(check_capabilities());
  PASS_UP(check_threads());
  PASS_UP(check_irqs());
  PASS_UP(check_ioports());
  PASS_UP(check_references());
  PASS_UP(check_quotas());
  return nullptr;
}

}  // namespace hmk::proofs
