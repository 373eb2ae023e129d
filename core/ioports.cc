// IoPorts objects: a port range, nothing else; the accesses are in core/syscall.cc.
#include "core/ioports.h"

#include "core/quota.h"
#include "core/slab.h"

namespace hmk {
namespace {
constinit Slab<IoPorts> g_slab("IoPorts");
}  // namespace

Result<IoPorts*> IoPorts::create(Quota& quota, uint32_t base, uint32_t count) {
  if (!valid_range(base, count)) return Status::kInvalidArgument;
  const uint64_t charge = g_slab.cache().object_size();
  TRY(quota.charge(charge));
  Result<IoPorts*> made = g_slab.create(quota, charge, base, count);
  if (!made.ok()) quota.uncharge(charge);
  return made;
}

void IoPorts::destroy() {
  g_slab.destroy(this);
}

}  // namespace hmk
