// A domain as a user process: the service environment (service.h) on top of the native
// runtime, and the dispatch loop that serves the domain's endpoint.
//
// The boot manifest gives the process one endpoint (BootCapKind::kEndpoint) and, for each
// service it serves, the index clients' badges carry in their low 16 bits (kServes). Calls for
// every service of the domain arrive on that one endpoint; the badge picks the service.
#include <stdarg.h>

#include "core/abi/bootinfo.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "svc/lib/alloc.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/layout.h"
#include "svc/lib/mutex.h"
#include "svc/lib/print.h"
#include "svc/lib/rpc_ipc.h"
#include "svc/lib/rpc_status.h"
#include "svc/lib/service.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace hmk::svc {
namespace {

constexpr uint32_t kMaxServiceIndex = 32;
constexpr uint64_t kServiceIndexMask = 0xffff;

struct Domain {
  const ServiceSlot* slots = nullptr;
  uint32_t count = 0;
  const ServiceSlot* by_index[kMaxServiceIndex] = {};
  abi::Handle endpoint = abi::kNullHandle;
  rt::Mutex lock;
  uint32_t threads = 0;  // dispatch threads started (under the lock)
  // Dispatch threads in a receive or on their way into one: free to take the next call.
  // Changed outside the lock (atomically), read under it by Event::wait.
  uint32_t receiving = 0;
};
Domain g_domain;

bool same_name(const char* a, const char* b) {
  return StringView(a) == StringView(b);
}

// The irq entry for `line` (find_boot_cap matches names, and every irq entry is named "irq").
const abi::BootCap* irq_cap(uint32_t line) {
  const abi::BootInfo* info = rt::boot_info();
  for (uint32_t i = 0; info != nullptr && i < info->count; ++i) {
    const abi::BootCap& c = info->caps[i];
    if (c.kind == abi::BootCapKind::kIrq && c.index == line) return &c;
  }
  return nullptr;
}

void ready_for_calls() {
  __atomic_add_fetch(&g_domain.receiving, 1, __ATOMIC_RELEASE);
}
void took_call() {
  __atomic_sub_fetch(&g_domain.receiving, 1, __ATOMIC_RELEASE);
}

// One thread's dispatch loop; never returns.
void serve(void*) {
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  if (buffer == nullptr) {
    took_call();
    DomainLock hold;
    --g_domain.threads;
    log("domain: no IPC buffer for a dispatch thread\n");
    return;
  }
  rpc::Message msg;
  abi::IpcRegisters regs{};
  // Counted as ready already: by add_dispatch_thread, or (the first thread) by run_domain.
  hmk::Status s = rt::recv(g_domain.endpoint, regs);
  for (;;) {
    if (s != hmk::Status::kOk) {
      // A failed reply (the caller went away) ends nothing but that call.
      regs = {};
      s = rt::recv(g_domain.endpoint, regs);
      if (s != hmk::Status::kOk) {
        took_call();
        DomainLock hold;
        --g_domain.threads;
        log("domain: receive failed: %s\n", status_name(s));
        return;
      }
    }
    took_call();
    rt::unpack_message(regs, buffer, msg);
    msg.badge = regs.handle_or_badge;
    const uint64_t index = msg.badge & kServiceIndexMask;
    const ServiceSlot* slot = index < kMaxServiceIndex ? g_domain.by_index[index] : nullptr;
    if (slot != nullptr) {
      // The generated dispatcher keeps the capabilities the request hands to the service and
      // deletes the others (rpc.h, Cap).
      const rpc::CallContext ctx{msg.badge};
      DomainLock hold;
      (void)slot->dispatch(slot->server, msg, ctx);
    } else {
      rpc::drop_caps(msg, rpc::kAllCaps);  // addressed to no service of this domain
      msg.label = static_cast<uint32_t>(rpc::Status::kNoService);
      msg.size = 0;
      msg.cap_count = 0;
    }
    regs = {};
    rt::pack_message(msg, regs, buffer);
    ready_for_calls();
    s = rt::reply_recv(g_domain.endpoint, regs);
  }
}

// Starts another dispatch thread (under the domain lock); false at the limit or without memory.
// It counts as ready for calls from now on (it will be in a moment), so that waits right after
// each other do not start a thread each.
bool add_dispatch_thread() {
  if (g_domain.threads >= kMaxDispatchThreads) return false;
  ready_for_calls();
  if (!rt::spawn_thread(serve, nullptr, abi::kDefaultPriority).ok()) {
    took_call();
    return false;
  }
  ++g_domain.threads;
  return true;
}

class LogSink final : public Sink {
 public:
  void write(const char* data, size_t len) override {
    for (size_t i = 0; i < len; ++i) {
      if (used_ == sizeof(buf_)) flush();
      buf_[used_++] = data[i];
    }
  }
  void flush() {
    if (used_ > 0) rt::debug_print(buf_, used_);
    used_ = 0;
  }

 private:
  char buf_[256];
  size_t used_ = 0;
};

}  // namespace

rpc::Channel Env::lookup(const char* service, uint64_t interface_id) const {
  for (uint32_t i = 0; i < g_domain.count; ++i) {
    const ServiceSlot& slot = g_domain.slots[i];
    if (same_name(slot.name, service) && slot.interface_id == interface_id)
      return rpc::Channel::local(slot.server, interface_id);
  }
  if (const abi::BootCap* c = rt::find_boot_cap(service, abi::BootCapKind::kService))
    return rpc::Channel::ipc(c->handle, interface_id);
  return rpc::Channel();
}

uint32_t Env::io_ports(const char* label, uint16_t* base) const {
  const abi::BootCap* c = rt::find_boot_cap(label, abi::BootCapKind::kIoPorts);
  if (c == nullptr) return 0;
  *base = static_cast<uint16_t>(c->index);
  return c->handle;
}

uint32_t Env::irq(uint32_t line) const {
  const abi::BootCap* c = irq_cap(line);
  return c != nullptr ? c->handle : 0;
}

rpc::Status Env::spawn(void (*function)(void*), void* arg) const {
  const Result<rt::Thread> t = rt::spawn_thread(function, arg, abi::kDefaultPriority);
  return rpc::from_kernel(t.status());
}

rpc::Status Event::init() {
  Result<abi::Handle> n = rt::notification_create();
  if (!n.ok()) return rpc::from_kernel(n.status());
  notification_ = *n;
  return rpc::Status::kOk;
}

rpc::Status Event::wait() {
  // This call keeps its thread while it waits: another must be free to take the domain's calls
  // meanwhile, or they would all queue behind a wait that may be long (a reader of the console).
  if (__atomic_load_n(&g_domain.receiving, __ATOMIC_ACQUIRE) == 0 && !add_dispatch_thread()) {
    return rpc::Status::kWouldBlock;
  }
  g_domain.lock.unlock();
  (void)rt::wait(notification_);
  g_domain.lock.lock();
  return rpc::Status::kOk;
}

void Event::signal() {
  (void)rt::signal(notification_);
}

DomainLock::DomainLock() {
  g_domain.lock.lock();
}

DomainLock::~DomainLock() {
  g_domain.lock.unlock();
}

// An extent keeps no capability: its mapping holds the memory object, and unmapping it frees
// the object. A domain's table has room for 1024 capabilities, fewer than the extents a
// service may hold (ramfs: 4096).
rpc::Status alloc_extent(uint64_t pages, Extent* out) {
  Result<rt::Pages> p = rt::alloc_pages(pages);
  if (!p.ok()) return rpc::from_kernel(p.status());
  (void)rt::cap_delete(p->memory);
  out->base = static_cast<uint8_t*>(p->base);
  out->pages = p->count;
  out->memory = 0;
  return rpc::Status::kOk;
}

void free_extent(Extent& extent) {
  if (extent.base == nullptr) return;
  const auto base = reinterpret_cast<uint64_t>(extent.base);
  // Only addresses that really are unmapped again may be handed out again.
  if (rt::unmap(abi::kSelfSpace, base, extent.pages) == Status::kOk) {
    rt::release_address_space(base, extent.pages * rt::kPageSize);
  }
  extent = Extent{};
}

void log(const char* fmt, ...) {
  LogSink sink;
  va_list ap;
  va_start(ap, fmt);
  vformat(sink, fmt, ap);
  va_end(ap);
  sink.flush();
}

int run_domain(const ServiceSlot* slots, uint32_t count, uint32_t threads) {
  g_domain.slots = slots;
  g_domain.count = count;
  const abi::BootInfo* info = rt::boot_info();
  const abi::BootCap* endpoint = rt::find_boot_cap(nullptr, abi::BootCapKind::kEndpoint);
  if (info == nullptr || endpoint == nullptr) {
    log("domain: no endpoint in the boot table (start it with a manifest `domain` line)\n");
    return 1;
  }
  g_domain.endpoint = endpoint->handle;
  for (uint32_t i = 0; i < info->count; ++i) {
    const abi::BootCap& c = info->caps[i];
    if (c.kind != abi::BootCapKind::kServes) continue;
    const ServiceSlot* slot = nullptr;
    for (uint32_t j = 0; j < count && slot == nullptr; ++j)
      if (same_name(slots[j].name, c.name)) slot = &slots[j];
    if (slot == nullptr || c.index >= kMaxServiceIndex) {
      log("domain: the manifest says this domain serves '%s', which it does not contain\n", c.name);
      return 1;
    }
    g_domain.by_index[c.index] = slot;
  }
  // The lock must work before a second thread exists; start-up runs under it like any call.
  if (g_domain.lock.init() != hmk::Status::kOk) return 1;
  if (rt::enable_heap_threads() != hmk::Status::kOk) return 1;
  {
    DomainLock hold;
    Env env;
    for (uint32_t i = 0; i < count; ++i) {
      const rpc::Status s = slots[i].service->start(env);
      if (s != rpc::Status::kOk) {
        log("domain: service %s failed to start: %s\n", slots[i].name, rpc::status_name(s));
        return 1;
      }
    }
  }
  g_domain.threads = 1;  // this one
  ready_for_calls();
  for (uint32_t i = 1; i < threads; ++i) {
    DomainLock hold;
    if (!add_dispatch_thread()) {
      log("domain: cannot start dispatch thread %u\n", i);
      return 1;
    }
  }
  serve(nullptr);
  return 1;
}

}  // namespace hmk::svc
