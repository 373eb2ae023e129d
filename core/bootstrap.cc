// The bootstrap capabilities and table of a manifest process (see bootstrap.h). Each grant is
// decode-then-commit: the table slot is reserved and the object made first, and only then is
// the capability installed, so a failure leaves no half-made capability behind.
#include "core/bootstrap.h"

#include "core/arch.h"
#include "core/console.h"
#include "core/endpoint.h"
#include "core/ioports.h"
#include "core/irq.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "core/memory_object.h"

namespace hmk {
namespace {

// printf arguments for a StringView: "%.*s", VIEW(view).
#define VIEW(v) static_cast<int>((v).size()), (v).data()

void copy_text(char* to, size_t capacity, StringView text) {
  const size_t n = min(text.size(), capacity - 1);
  mem_copy(to, text.data(), n);
  mem_set(to + n, 0, capacity - n);
}

// One page, zeroed, mapped read-only at abi::kBootInfoAddress in `space`; returns the kernel's
// view of it (through the direct map), valid while the mapping lasts.
Result<abi::BootInfo*> map_table(Space& space) {
  MemoryObject* memory = TRY(MemoryObject::create(space.own_quota(), 1));
  auto* table = static_cast<abi::BootInfo*>(arch::phys_to_virt(memory->frame(0)));
  // Read-only for good: the mapping's rights are also its limit, so protect cannot add write.
  Status s = space.map(*memory, abi::kBootInfoAddress, 0, 1, abi::kRightRead, abi::kRightRead);
  memory->release();  // the mapping holds its own reference (or the object dies here)
  if (s != Status::kOk) return s;
  return table;
}

void add_entry(abi::BootInfo* table, StringView name, abi::BootCapKind kind, uint32_t index,
               Handle handle) {
  // parse_manifest_line bounds a line's entries by kBootInfoMaxCaps; this only guards it.
  if (table->count >= abi::kBootInfoMaxCaps) return;
  abi::BootCap& entry = table->caps[table->count++];
  copy_text(entry.name, sizeof(entry.name), name);
  entry.kind = kind;
  entry.index = index;
  entry.handle = handle;
  entry.reserved = 0;
}

// Who the line is for in reports: its program, or "kernel" for the kernel line (no program).
StringView who(const BootstrapPlan& plan) {
  return plan.line->path.empty() ? plan.line->name : plan.line->path;
}

void report(const BootstrapPlan& plan, const char* what, Status s) {
  kprint("exec %.*s: cannot give it %s: %s\n", VIEW(who(plan)), what, status_name(s));
}

// A domain's endpoint: the root capability in the holder's table, a child in the domain's.
Status grant_endpoint(Space& space, const BootstrapPlan& plan, abi::BootInfo* table, Handle* root) {
  Space& holder = *plan.holder;
  TRY(holder.caps().ensure_free(1, holder.own_quota()));
  TRY(space.caps().ensure_free(1, space.own_quota()));
  Endpoint* ep = TRY(Endpoint::create(space.own_quota()));
  // POINT OF NO RETURN
  *root = holder.caps().install_new(ep, kDomainEndpointRights);
  const Handle h =
      space.caps().install_child(*holder.caps().lookup(*root), kDomainEndpointRights, 0);
  add_entry(table, plan.line->name, abi::BootCapKind::kEndpoint, 0, h);
  for (uint32_t i = 0; i < plan.line->serve_count; ++i)
    add_entry(table, plan.line->serves[i], abi::BootCapKind::kServes, i, abi::kNullHandle);
  return Status::kOk;
}

// The kernel line: the kernel domain's own capability to the endpoint the kernel serves.
Status grant_kernel_endpoint(Space& space, const BootstrapPlan& plan, abi::BootInfo* table) {
  if (plan.kernel_endpoint == nullptr) return Status::kInvalidArgument;
  TRY(space.caps().ensure_free(1, space.own_quota()));
  const Handle h = space.caps().install_child(*plan.kernel_endpoint, kServiceRights, 0);
  add_entry(table, plan.line->name, abi::BootCapKind::kEndpoint, 0, h);
  for (uint32_t i = 0; i < plan.line->serve_count; ++i)
    add_entry(table, plan.line->serves[i], abi::BootCapKind::kServes, i, abi::kNullHandle);
  return Status::kOk;
}

Status grant_service(Space& space, const BootstrapPlan& plan, abi::BootInfo* table,
                     const ServiceGrant& grant) {
  TRY(space.caps().ensure_free(1, space.own_quota()));
  const Handle h = space.caps().install_child(*grant.root, kServiceRights,
                                              service_badge(plan.client_number, grant.index));
  add_entry(table, grant.name, abi::BootCapKind::kService, grant.index, h);
  return Status::kOk;
}

Status grant_ioports(Space& space, abi::BootInfo* table, const IoPortRange& range) {
  TRY(space.caps().ensure_free(1, space.own_quota()));
  IoPorts* ports = TRY(IoPorts::create(space.own_quota(), range.base, range.count));
  const Handle h = space.caps().install_new(ports, abi::kRightRead | abi::kRightWrite);
  add_entry(table, range.label, abi::BootCapKind::kIoPorts, range.base, h);
  return Status::kOk;
}

Status grant_irq(Space& space, const BootstrapPlan& plan, abi::BootInfo* table, uint32_t line) {
  if (Status s = space.caps().ensure_free(1, space.own_quota()); s != Status::kOk) {
    report(plan, "its interrupt line", s);
    return s;
  }
  Result<Irq*> irq = Irq::create(space.own_quota(), line);
  if (!irq.ok()) {
    // The usual mistakes: a line the board keeps for itself, or one already given away.
    kprint("exec %.*s: interrupt line %u is not available: %s\n", VIEW(who(plan)), line,
           status_name(irq.status()));
    return irq.status();
  }
  const Handle h = space.caps().install_new(*irq, abi::kRightManage);
  add_entry(table, "irq", abi::BootCapKind::kIrq, line, h);
  return Status::kOk;
}

// The authority to make Irq objects, for a line that says irq_control=yes (the native test
// suite; a driver gets its own lines with irqs= instead).
Status grant_irq_control(Space& space, abi::BootInfo* table) {
  TRY(space.caps().ensure_free(1, space.own_quota()));
  const Handle h = space.caps().install_root(&irq_control(), abi::kRightManage);
  add_entry(table, "irq_control", abi::BootCapKind::kIrqControl, 0, h);
  return Status::kOk;
}

// A copy of the initrd, for a line that says initrd=yes (the Linux shim reads its files).
Status grant_initrd(Space& space, const BootstrapPlan& plan, abi::BootInfo* table) {
  if (plan.initrd == nullptr) return Status::kNotFound;
  const size_t size = plan.initrd->size();
  const uint64_t pages = align_up(size, kPageSize) / kPageSize;
  if (pages == 0 || pages > abi::kMaxMemoryPages) return Status::kOutOfRange;
  TRY(space.caps().ensure_free(1, space.own_quota()));
  MemoryObject* memory = TRY(MemoryObject::create(space.own_quota(), pages));
  for (uint64_t i = 0; i < pages; ++i) {
    const size_t offset = i * kPageSize;
    mem_copy(arch::phys_to_virt(memory->frame(i)), plan.initrd->data() + offset,
             min<size_t>(kPageSize, size - offset));
  }
  const Handle h = space.caps().install_new(memory, abi::kRightRead);
  add_entry(table, "initrd", abi::BootCapKind::kInitrd, static_cast<uint32_t>(size), h);
  return Status::kOk;
}

// Everything but the table itself, in the table's order: endpoint and served services, used
// services, port ranges, interrupt lines, interrupt control, the initrd.
Status grant_all(Space& space, const BootstrapPlan& plan, abi::BootInfo* table, Handle* root) {
  const ManifestLine& line = *plan.line;
  if (line.directive == Directive::kDomain) {
    if (Status s = grant_endpoint(space, plan, table, root); s != Status::kOk) {
      report(plan, "its endpoint", s);
      return s;
    }
  }
  if (line.directive == Directive::kKernel) {
    if (Status s = grant_kernel_endpoint(space, plan, table); s != Status::kOk) {
      report(plan, "its endpoint", s);
      return s;
    }
  }
  for (uint32_t i = 0; i < line.use_count; ++i) {
    if (Status s = grant_service(space, plan, table, plan.uses[i]); s != Status::kOk) {
      report(plan, "a service capability", s);
      return s;
    }
  }
  for (uint32_t i = 0; i < line.ioport_count; ++i) {
    if (Status s = grant_ioports(space, table, line.ioports[i]); s != Status::kOk) {
      report(plan, "its I/O ports", s);
      return s;
    }
  }
  for (uint32_t i = 0; i < line.irq_count; ++i)
    TRY(grant_irq(space, plan, table, line.irqs[i]));  // reports itself
  if (line.irq_control) {
    if (Status s = grant_irq_control(space, table); s != Status::kOk) {
      report(plan, "interrupt control", s);
      return s;
    }
  }
  if (line.initrd) {
    if (Status s = grant_initrd(space, plan, table); s != Status::kOk) {
      report(plan, "the initrd", s);
      return s;
    }
  }
  return Status::kOk;
}

}  // namespace

Status install_bootstrap(Space& space, const BootstrapPlan& plan, Handle* endpoint_root) {
  *endpoint_root = abi::kNullHandle;
  Result<abi::BootInfo*> mapped = map_table(space);
  if (!mapped.ok()) {
    report(plan, "its bootstrap table", mapped.status());
    return mapped.status();
  }
  abi::BootInfo* table = *mapped;
  table->magic = abi::kBootInfoMagic;
  table->version = abi::kBootInfoVersion;
  table->count = 0;
  table->client_number = plan.client_number;
  copy_text(table->program, sizeof(table->program), plan.line->path);
  const Status s = grant_all(space, plan, table, endpoint_root);
  if (s != Status::kOk && *endpoint_root != abi::kNullHandle) {
    // The process will not run: its endpoint goes with it, root and all.
    Capability* root = plan.holder->caps().lookup(*endpoint_root);
    cap_revoke(root);
    cap_delete(root);
    *endpoint_root = abi::kNullHandle;
  }
  return s;
}

Status create_kernel_endpoint(Space& holder, Handle* root) {
  TRY(holder.caps().ensure_free(1, holder.own_quota()));
  Endpoint* ep = TRY(Endpoint::create(holder.own_quota()));
  // POINT OF NO RETURN
  ep->set_kernel_served();
  *root = holder.caps().install_new(ep, kServiceRights);
  return Status::kOk;
}

}  // namespace hmk
