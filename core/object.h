// The base of every kernel object: a type tag, a reference count, the quota it is charged to,
// and a link in the registry of live objects (which the invariant checker walks).
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/list.h"

namespace hmk {

using abi::ObjectType;
class Quota;

class KernelObject {
 public:
  KernelObject(const KernelObject&) = delete;
  KernelObject& operator=(const KernelObject&) = delete;

  ObjectType type() const { return type_; }
  uint32_t refs() const { return refs_; }
  Quota* quota() const { return quota_; }
  uint64_t charged() const { return charged_; }

  void acquire() { ++refs_; }
  // Drops a reference. The last one does not destroy the object on the spot: it is queued and
  // destroyed by reap_objects(), so destruction never recurses (a dying address space drops
  // capabilities whose objects die in turn).
  void release();

  ListNode registry_node;  // in the registry while the object lives
  ListNode zombie_node;    // in the reap queue between its last release and destruction

 protected:
  // Charged `charged` bytes to `quota` already (see Quota::charge); the object now owns that.
  KernelObject(ObjectType type, Quota* quota, uint64_t charged);
  ~KernelObject();

 private:
  ObjectType type_;
  uint32_t refs_ = 1;  // the creator's reference, normally handed to a capability
  Quota* quota_;
  uint64_t charged_;
};

// Objects whose last reference went away, waiting for reap_objects().
using ZombieList = List<KernelObject, &KernelObject::zombie_node>;
extern ZombieList g_zombies;

// Destroys every object whose last reference went away, including those their destruction
// releases in turn. Bounded by the number of live objects.
void reap_all_objects();
inline void reap_objects() {
  if (!g_zombies.empty()) reap_all_objects();  // the common case costs one compare
}

// Work the kernel does in bounded steps between other work: ended processes' teardown
// (core/space.h) and the frames of big memory objects that died (core/memory_object.h). The
// entry that caused it does a step, then timer ticks and an idle CPU do the rest
// (core/entry.cc): unrelated threads' system calls never pay for it. Read on every entry: one
// load when there is none.
struct BackgroundWork {
  bool pending = false;  // some is left
  bool kicked = false;   // some was added since the last step
};
extern BackgroundWork g_background;
inline void add_background_work() {
  g_background.pending = true;
  g_background.kicked = true;
}
// Units of background work per step: about 10^5 instructions.
inline constexpr size_t kBackgroundStepBudget = 4096;

// Every live object, for the invariant checker and leak reports.
using ObjectRegistry = List<KernelObject, &KernelObject::registry_node>;
const ObjectRegistry& live_objects();
size_t live_object_count();

// Human-readable type name ("Thread", ...).
const char* object_type_name(ObjectType type);

}  // namespace hmk
