// The service environment inside the kernel (domain.h).
#include "svc/kernel/domain.h"

#include "core/arch.h"
#include "core/console.h"
#include "core/kmem.h"
#include "core/lib/string.h"
#include "svc/lib/rpc_status.h"

namespace hmk::svc {
namespace {

const ServiceSlot* g_slots = nullptr;
uint32_t g_count = 0;
uint64_t g_pages_used = 0;
// One call at a time: the kernel runs one entry at a time and a kernel service never enters the
// kernel again, so the message need not live on the (small) kernel stack.
rpc::Message g_message;

bool same_name(const char* a, const char* b) {
  return StringView(a) == StringView(b);
}

Status start_all() {
  Env env;
  for (uint32_t i = 0; i < g_count; ++i) {
    const rpc::Status s = g_slots[i].service->start(env);
    if (s != rpc::Status::kOk) {
      kprint("kernel domain: service %s failed to start: %s\n", g_slots[i].name,
             rpc::status_name(s));
      return Status::kUnsupported;
    }
  }
  return Status::kOk;
}

void stop_all() {
  for (uint32_t i = 0; i < g_count; ++i)
    g_slots[i].service->stop();
}

int32_t find(const char* name) {
  for (uint32_t i = 0; i < g_count; ++i)
    if (same_name(g_slots[i].name, name)) return static_cast<int32_t>(i);
  return -1;
}

// The capabilities a call brings (KernelCall::cap_handles) are children in the domain's own
// space's table, as a user domain receives them: the generated dispatch code owns them from here
// on (svc/lib/rpc.h, Cap: the ones the request does not name dropped at once, all of them on an
// error), and rpc::drop_cap (env.cc) deletes them there. A reply carries none (the kernel has no
// way to hand a capability back): a response that names any is answered kUnsupported instead,
// and the handles stay the service's, as after a reply over IPC, which copies them.
void call(KernelCall& kc) {
  rpc::Message& msg = g_message;
  const ServiceSlot* slot = kc.slot < g_count ? &g_slots[kc.slot] : nullptr;
  msg.label = kc.label;
  msg.size = kc.words * 8;
  msg.cap_count = kc.caps <= rpc::kMaxCaps ? kc.caps : 0;
  for (uint32_t i = 0; i < msg.cap_count; ++i)
    msg.caps[i] = static_cast<uint32_t>(kc.cap_handles[i]);
  msg.badge = kc.badge;
  mem_copy(msg.data, kc.data, msg.size);
  rpc::Status s = rpc::Status::kNoService;
  if (slot != nullptr) {
    s = slot->dispatch(slot->server, msg, rpc::CallContext{kc.badge});
  } else {
    rpc::drop_caps(msg, rpc::kAllCaps);  // addressed to no service of this domain
  }
  if (slot == nullptr || msg.cap_count > 0) {
    msg.label = static_cast<uint32_t>(slot == nullptr ? s : rpc::Status::kUnsupported);
    msg.size = 0;
    msg.cap_count = 0;
  }
  kc.label = msg.label;
  kc.words = (msg.size + 7) / 8;
  if (kc.words > 0) kc.data[kc.words - 1] = 0;  // the last word's unused bytes
  mem_copy(kc.data, msg.data, msg.size);
}

// Services here never save a reply yet (Event::wait is unsupported): no cancel, no expire;
// nor do they answer foreign system calls (no quick way).
constexpr KernelDomain kDomain = {&start_all, &find,   &call,   nullptr,  nullptr,
                                  nullptr,    nullptr, nullptr, &stop_all};

}  // namespace

const KernelDomain* kernel_domain_of(const ServiceSlot* slots, uint32_t count) {
  g_slots = slots;
  g_count = count;
  return &kDomain;
}

rpc::Channel Env::lookup(const char* service, uint64_t interface_id) const {
  for (uint32_t i = 0; i < g_count; ++i) {
    if (same_name(g_slots[i].name, service) && g_slots[i].interface_id == interface_id)
      return rpc::Channel::local(g_slots[i].server, interface_id);
  }
  return rpc::Channel();
}

// The pages are charged to the calling client (kernel_service_charge), as a service in a
// process of its own would charge its own account; the global bound stays as a backstop.
rpc::Status alloc_extent(uint64_t pages, Extent* out) {
  if (pages == 0 || pages > kKernelServicePages - g_pages_used) return rpc::Status::kNoSpace;
  Result<Quota*> account = kernel_service_charge(pages * kPageSize);
  if (!account.ok()) return rpc::from_kernel(account.status());
  Result<PhysAddr> base = kernel_frames().allocate_contiguous(pages, 1);
  if (!base.ok()) {
    kernel_service_uncharge(*account, pages * kPageSize);
    return rpc::from_kernel(base.status());
  }
  g_pages_used += pages;
  out->base = static_cast<uint8_t*>(arch::phys_to_virt(*base));
  out->pages = pages;
  out->memory = 0;
  out->account = reinterpret_cast<uintptr_t>(*account);
  mem_set(out->base, 0, pages * kPageSize);
  return rpc::Status::kOk;
}

void free_extent(Extent& extent) {
  if (extent.base == nullptr) return;
  (void)kernel_frames().free_contiguous(arch::virt_to_phys_kernel(extent.base), extent.pages);
  g_pages_used -= extent.pages;
  kernel_service_uncharge(reinterpret_cast<Quota*>(extent.account), extent.pages * kPageSize);
  extent = Extent{};
}

}  // namespace hmk::svc
