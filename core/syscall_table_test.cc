// The system call table (core/abi/syscalls.tbl) against the kernel it generates: the call list
// has every number in order with a dispatch entry, and every handle argument of every call is
// checked exactly as the table (and so the docs table) says: an empty handle or one of another
// object type is InvalidCapability, a capability lacking any one listed right is
// PermissionDenied, and one with just the listed rights gets past the check. The IPC calls,
// whose endpoint the IPC path looks up itself (fast path included), are held to it too.
#include <string>

#include "core/abi/syscall_list.h"
#include "core/syscall_table.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using abi::ArgType;
using abi::SyscallKind;
using abi::SyscallSpec;

TEST_CASE("the call list has every number in order, each with a dispatch entry") {
  for (uint64_t n = 0; n < abi::kSyscallCount; ++n) {
    INFO("system call " << n);
    CHECK(static_cast<uint64_t>(abi::kSyscalls[n].number) == n);
    CHECK(kSyscallTable[n] != nullptr);
    CHECK(abi::kSyscalls[n].arg_count <= 6);
  }
}

// The objects a probe needs, one capability each with every right it can have.
struct Pool {
  Handle of(ObjectType type) const { return handles[static_cast<uint32_t>(type)]; }
  Handle handles[9] = {};
};

Pool make_pool(Harness& h, Harness::Process p) {
  Pool pool;
  auto set = [&](ObjectType type, Handle handle) {
    pool.handles[static_cast<uint32_t>(type)] = handle;
  };
  set(ObjectType::kSpace, abi::kSelfSpace);
  set(ObjectType::kThread, abi::kSelfThread);
  set(ObjectType::kIrqControl, kIrqControlHandle);
  set(ObjectType::kEndpoint, h.create_endpoint(p.space));
  set(ObjectType::kNotification, h.create_notification(p.space));
  set(ObjectType::kMemory, h.create_memory(p.space, 1));
  set(ObjectType::kIoPorts, h.create_ioports(p.space, 0x70, 2));
  REQUIRE(h.syscall(p.thread, Syscall::kIrqCreate, {kIrqControlHandle, 5}) == Status::kOk);
  set(ObjectType::kIrq, static_cast<Handle>(p.thread->regs()[arch::kRdi]));
  return pool;
}

// A capability to the pool's object of `type` with the pool capability's rights that are in
// `rights`.
Handle with_rights(Harness& h, Harness::Process p, const Pool& pool, ObjectType type,
                   uint32_t rights) {
  return h.grant(p.space, pool.of(type), p.space, h.cap(p.space, pool.of(type))->rights & rights);
}

// Some object type other than `type`.
ObjectType other_than(ObjectType type) {
  return type == ObjectType::kEndpoint ? ObjectType::kNotification : ObjectType::kEndpoint;
}

// Runs `spec` with handle `probe` as argument `index`; the other handle arguments name the
// pool's objects (all rights), everything else is 0. IPC calls send an empty, non-blocking tag.
Status run(Harness& h, Harness::Process p, const Pool& pool, const SyscallSpec& spec,
           uint32_t index, Handle probe) {
  if (spec.kind == SyscallKind::kIpc) {
    const auto tag = MessageInfo::make(0, 0, 0, MessageInfo::kNonBlocking);
    return h.ipc(p.thread, spec.number, probe, tag);
  }
  uint64_t args[6] = {};
  for (uint32_t i = 0; i < spec.arg_count; ++i) {
    const abi::ArgSpec& arg = spec.args[i];
    if (arg.type != ArgType::kHandle) continue;
    args[i] = pool.of(arg.object == ObjectType::kNone ? ObjectType::kEndpoint : arg.object);
  }
  args[index] = probe;
  return h.syscall(p.thread, spec.number, {args[0], args[1], args[2], args[3], args[4], args[5]});
}

// The status of one probe in a fresh kernel (`make_probe` picks the handle), and whether the
// calling thread blocked (a passed check of a receiving call).
struct Outcome {
  Status status;
  bool blocked;
};
template <typename MakeProbe>
Outcome probe(const SyscallSpec& spec, uint32_t index, MakeProbe make_probe) {
  Harness h;
  Harness::Process p = h.spawn("probe");
  const Pool pool = make_pool(h, p);
  const Handle handle = make_probe(h, p, pool);
  const Status s = run(h, p, pool, spec, index, handle);
  return {s, p.thread->blocked()};
}

TEST_CASE("every handle argument is checked as the table says") {
  size_t probed = 0;
  for (const SyscallSpec& spec : abi::kSyscalls) {
    for (uint32_t i = 0; i < spec.arg_count; ++i) {
      const abi::ArgSpec arg = spec.args[i];
      if (arg.type != ArgType::kHandle) continue;
      INFO(spec.name << " argument " << i);
      ++probed;
      auto none = [](Harness&, Harness::Process, const Pool&) { return Handle{0}; };
      CHECK(probe(spec, i, none).status == Status::kInvalidCapability);
      if (arg.object == ObjectType::kNone) continue;  // any capability will do
      auto wrong_type = [&](Harness&, Harness::Process, const Pool& pool) {
        return pool.of(other_than(arg.object));
      };
      CHECK(probe(spec, i, wrong_type).status == Status::kInvalidCapability);
      for (uint32_t right = 1; right <= abi::kRightsAll; right <<= 1) {
        if ((arg.rights & right) == 0) continue;
        INFO("without right " << right);
        auto lacking = [&](Harness& h, Harness::Process p, const Pool& pool) {
          return with_rights(h, p, pool, arg.object, abi::kRightsAll & ~right);
        };
        CHECK(probe(spec, i, lacking).status == Status::kPermissionDenied);
      }
      // Exactly the listed rights pass this check: whatever comes next is not about them.
      auto exact = [&](Harness& h, Harness::Process p, const Pool& pool) {
        return with_rights(h, p, pool, arg.object, arg.rights);
      };
      const Outcome o = probe(spec, i, exact);
      if (!o.blocked) {
        CHECK(o.status != Status::kInvalidCapability);
        CHECK(o.status != Status::kPermissionDenied);
      }
    }
  }
  CHECK(probed > 20);  // the loop looked at something (29 handle arguments today)
}

}  // namespace
}  // namespace hmk::hosted
