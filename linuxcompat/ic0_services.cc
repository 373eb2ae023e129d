// The file services beside the shim in the kernel (IC0): ramfs and vfs (svc/ramfs, svc/vfs), the
// same classes the composition profiles place in processes or in the kernel domain, linked into
// the shim's kernel image and reached by direct calls (local channels), as the coalesced profile
// reaches them inside one process. The root is vfs's (set_up_shim).
//
// Their service environment (svc/lib/service.h) is the shim's: extents from the shim's heap
// (//svc/kernel:rt, kernel frames, at most 256 MiB with everything else the shim keeps) and
// lookups that find the two of them; the rest is what every placement inside the kernel shares
// (//svc/kernel:env: no event waits, the log on the kernel console, no IPC channels) and no
// devices or threads (//svc/lib:env_without_devices).
#include "core/console.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/shim.h"
#include "svc/lib/service.h"
#include "svc/ramfs/ramfs_service.h"
#include "svc/vfs/vfs_service.h"

namespace hmk::lx {
namespace {

using Service = svc::fs::FileSystem;

svc::ramfs::RamfsService g_ramfs;
svc::vfs::VfsService g_vfs;

constexpr svc::ServiceSlot kSlots[] = {
    {"ramfs", &g_ramfs, static_cast<Service::Server*>(&g_ramfs), Service::kInterfaceId,
     &Service::dispatch_erased},
    {"vfs", &g_vfs, static_cast<Service::Server*>(&g_vfs), Service::kInterfaceId,
     &Service::dispatch_erased},
};

}  // namespace

rpc::Channel start_file_services() {
  svc::Env env;
  for (const svc::ServiceSlot& slot : kSlots) {
    if (const rpc::Status s = slot.service->start(env); s != rpc::Status::kOk) {
      kprint("[lxshim] the %s service failed to start: %s\n", slot.name, rpc::status_name(s));
      return rpc::Channel();
    }
  }
  return env.lookup("vfs", Service::kInterfaceId);
}

}  // namespace hmk::lx

namespace hmk::svc {

rpc::Channel Env::lookup(const char* service, uint64_t interface_id) const {
  for (const ServiceSlot& slot : lx::kSlots) {
    if (StringView(slot.name) == StringView(service) && slot.interface_id == interface_id) {
      return rpc::Channel::local(slot.server, interface_id);
    }
  }
  return rpc::Channel();
}

rpc::Status alloc_extent(uint64_t pages, Extent* out) {
  if (pages == 0 || pages > (1u << 16)) return rpc::Status::kNoSpace;
  auto* base = new (lx::kFallible) uint8_t[pages * lx::kPageSize];
  if (base == nullptr) return rpc::Status::kNoSpace;
  mem_set(base, 0, pages * lx::kPageSize);
  *out = Extent{};
  out->base = base;
  out->pages = pages;
  return rpc::Status::kOk;
}

void free_extent(Extent& extent) {
  delete[] extent.base;
  extent = Extent{};
}

}  // namespace hmk::svc
