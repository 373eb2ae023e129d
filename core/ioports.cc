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
  return create_charged(g_slab, quota, 0, base, count);
}

void IoPorts::destroy() {
  g_slab.destroy(this);
}

}  // namespace hmk
