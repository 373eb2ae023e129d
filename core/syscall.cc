// System call handlers. Each reads its arguments through one typed view of the saved
// registers, checks every handle, pointer and number before changing anything, and returns a
// Status; a bad argument never reaches a panic.
#include "core/syscall.h"

#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/ioports.h"
#include "core/ipc.h"
#include "core/irq.h"
#include "core/lib/format.h"
#include "core/lib/util.h"
#include "core/memory_object.h"
#include "core/quota.h"
#include "core/scheduler.h"
#include "core/space.h"

namespace hmk {
namespace {

using abi::Syscall;

// Frames memory_create allocates and zeroes per step (about 1.3 * 10^5 instructions).
constexpr uint64_t kZeroStepPages = 64;

// ---- typed register views (arguments in rdi, rsi, rdx, r10, r8, r9) ----

class SysArgs {
 public:
  explicit SysArgs(Thread* t) : r_(t->regs()) {}

 protected:
  uint64_t arg(int i) const { return r_[arch::kSysArg0 + i]; }
  // A handle argument as the caller passed it: all 64 bits, so that a value beyond 32 bits
  // names no capability (CapTable::lookup compares the whole register with the slot's key).
  uint64_t handle(int i) const { return arg(i); }

 private:
  const uint64_t* r_;
};

struct SysHandle : SysArgs {  // signal, wait, poll, thread_start, cap_delete, ...
  using SysArgs::SysArgs;
  uint64_t object() const { return handle(0); }
};
struct SysThreadCreate : SysArgs {
  using SysArgs::SysArgs;
  uint64_t space() const { return handle(0); }
  uint64_t entry() const { return arg(1); }
  uint64_t stack() const { return arg(2); }
  uint64_t argument() const { return arg(3); }
};
struct SysThreadSetPriority : SysArgs {
  using SysArgs::SysArgs;
  uint64_t thread() const { return handle(0); }
  uint64_t priority() const { return arg(1); }
};
struct SysThreadSetIpcBuffer : SysArgs {
  using SysArgs::SysArgs;
  uint64_t thread() const { return handle(0); }
  uint64_t address() const { return arg(1); }
};
struct SysThreadSetTls : SysArgs {
  using SysArgs::SysArgs;
  uint64_t thread() const { return handle(0); }
  uint64_t fs_base() const { return arg(1); }
  uint64_t gs_base() const { return arg(2); }
};
struct SysSpaceCreate : SysArgs {
  using SysArgs::SysArgs;
  uint64_t quota_bytes() const { return arg(0); }
};
struct SysMemoryCreate : SysArgs {
  using SysArgs::SysArgs;
  uint64_t pages() const { return arg(0); }
};
struct SysMap : SysArgs {
  using SysArgs::SysArgs;
  uint64_t space() const { return handle(0); }
  uint64_t memory() const { return handle(1); }
  uint64_t vaddr() const { return arg(2); }
  uint64_t first_page() const { return arg(3); }
  uint64_t pages() const { return arg(4); }
  uint64_t rights() const { return arg(5); }
};
struct SysUnmap : SysArgs {
  using SysArgs::SysArgs;
  uint64_t space() const { return handle(0); }
  uint64_t vaddr() const { return arg(1); }
  uint64_t pages() const { return arg(2); }
};
struct SysProtect : SysUnmap {
  using SysUnmap::SysUnmap;
  uint64_t rights() const { return arg(3); }
};
struct SysCapDerive : SysArgs {
  using SysArgs::SysArgs;
  uint64_t source() const { return handle(0); }
  uint64_t rights() const { return arg(1); }
  uint64_t badge() const { return arg(2); }
};
struct SysCapCopyTo : SysArgs {
  using SysArgs::SysArgs;
  uint64_t space() const { return handle(0); }
  uint64_t source() const { return handle(1); }
  uint64_t rights() const { return arg(2); }
};
struct SysIrqCreate : SysArgs {
  using SysArgs::SysArgs;
  uint64_t control() const { return handle(0); }
  uint64_t line() const { return arg(1); }
};
struct SysIrqBind : SysArgs {
  using SysArgs::SysArgs;
  uint64_t irq() const { return handle(0); }
  uint64_t notification() const { return handle(1); }
};
struct SysIoPort : SysArgs {  // io_port_in, io_port_out
  using SysArgs::SysArgs;
  uint64_t ports() const { return handle(0); }
  uint64_t port() const { return arg(1); }
  uint64_t width() const { return arg(2); }
  uint64_t value() const { return arg(3); }  // io_port_out only
};
struct SysProcessExit : SysArgs {
  using SysArgs::SysArgs;
  int64_t code() const { return static_cast<int64_t>(arg(0)); }
};
struct SysDebugPrint : SysArgs {
  using SysArgs::SysArgs;
  uint64_t text() const { return arg(0); }
  uint64_t length() const { return arg(1); }
};

void set_out(Thread* t, int index, uint64_t value) {
  t->regs()[arch::kSysArg0 + index] = value;
}

CapTable& caps_of(Thread* t) {
  return t->space().caps();
}
Quota& quota_of(Thread* t) {
  return t->space().own_quota();
}

// Puts a freshly created object (holding its creation reference) into a slot reserved by
// ensure_free, hands the reference to the capability, and returns the handle in rdi.
void install_new(Thread* self, KernelObject* object, uint32_t rights) {
  Handle h = caps_of(self).take_free();
  caps_of(self).install(h, object, rights, 0, nullptr);
  object->release();
  set_out(self, 0, h);
}

// ---- threads ----

Status sys_thread_create(Thread* self) {
  SysThreadCreate a(self);
  Capability* cap = TRY(caps_of(self).lookup(a.space(), ObjectType::kSpace, abi::kRightManage));
  auto* space = static_cast<Space*>(cap->object);
  if (!space->alive()) return Status::kPeerClosed;
  if (a.entry() < arch::kUserLowest || a.entry() >= arch::kUserHighest ||
      a.stack() >= arch::kUserHighest) {
    return Status::kBadAddress;
  }
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  Thread* t = TRY(
      Thread::create(quota_of(self), *space, a.entry(), a.stack(), a.argument(), self->priority()));
  install_new(self, t, abi::kRightsAll);
  return Status::kOk;
}

Status sys_thread_start(Thread* self) {
  SysHandle a(self);
  Capability* cap = TRY(caps_of(self).lookup(a.object(), ObjectType::kThread, abi::kRightManage));
  auto* t = static_cast<Thread*>(cap->object);
  if (t->state() != ThreadState::kInactive) return Status::kBusy;
  if (!t->space().alive()) return Status::kPeerClosed;
  t->space().thread_started();
  t->acquire();  // a started thread keeps itself alive until it ends
  make_runnable(t);
  return Status::kOk;
}

Status sys_thread_set_priority(Thread* self) {
  SysThreadSetPriority a(self);
  Capability* cap = TRY(caps_of(self).lookup(a.thread(), ObjectType::kThread, abi::kRightManage));
  if (a.priority() >= abi::kPriorityCount) return Status::kInvalidArgument;
  if (a.priority() > self->priority()) return Status::kPermissionDenied;
  auto* t = static_cast<Thread*>(cap->object);
  const auto priority = static_cast<uint8_t>(a.priority());
  if (t->state() == ThreadState::kReady) {
    scheduler().remove(t);
    t->priority_ = priority;
    scheduler().make_ready(t);
  } else {
    t->priority_ = priority;  // a running thread is re-checked by the scheduler on exit
  }
  return Status::kOk;
}

Status sys_thread_set_ipc_buffer(Thread* self) {
  SysThreadSetIpcBuffer a(self);
  Capability* cap = TRY(caps_of(self).lookup(a.thread(), ObjectType::kThread, abi::kRightManage));
  auto* t = static_cast<Thread*>(cap->object);
  // An ended process has no page tables left to check the address against.
  if (!t->space().alive()) return Status::kPeerClosed;
  const uint64_t addr = a.address();
  if (addr != 0) {
    if (!is_aligned(addr, uint64_t{8}) || addr % kPageSize + sizeof(abi::IpcBuffer) > kPageSize) {
      return Status::kInvalidArgument;
    }
    TRY(arch::translate_user(t->space().address_space(), addr, kPageWrite));
  }
  t->ipc_buffer_ = addr;
  return Status::kOk;
}

// The thread's TLS bases. Any user address will do (the thread's own business what is mapped
// there); anything else would fault when the port loads it, so it is refused here.
Status sys_thread_set_tls(Thread* self) {
  SysThreadSetTls a(self);
  Capability* cap = TRY(caps_of(self).lookup(a.thread(), ObjectType::kThread, abi::kRightManage));
  if (a.fs_base() >= abi::kUserAddressEnd || a.gs_base() >= abi::kUserAddressEnd) {
    return Status::kBadAddress;
  }
  // POINT OF NO RETURN
  arch::set_user_tls(static_cast<Thread*>(cap->object)->context(), a.fs_base(), a.gs_base());
  return Status::kOk;
}

// ---- spaces and memory ----

Status sys_space_create(Thread* self) {
  SysSpaceCreate a(self);
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  Quota* child_quota = TRY(Quota::create_child(quota_of(self), a.quota_bytes()));
  char name[48];
  snformat(name, sizeof(name), "%.*s/child", static_cast<int>(self->space().name().size()),
           self->space().name().data());
  Result<Space*> space = Space::create(quota_of(self), *child_quota, StringView(name));
  child_quota->release();  // the space holds its own reference now (or it failed)
  if (!space.ok()) return space.status();
  self->space().adopt(*space);
  install_new(self, *space, abi::kRightsAll);
  return Status::kOk;
}

// Zeroing is the long part: kZeroStepPages frames a step, the object parked in the thread
// (which holds the only reference) between restarts.
Status memory_create_step(Thread* self) {
  SysMemoryCreate a(self);
  if (a.pages() == 0 || a.pages() > abi::kMaxMemoryPages) return Status::kInvalidArgument;
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  MemoryObject* m = self->pending_memory_;
  if (m == nullptr) {
    m = TRY(MemoryObject::create_unfilled(quota_of(self), a.pages()));
    self->pending_memory_ = m;
  }
  TRY(m->fill(kZeroStepPages));
  if (!m->filled()) return kRestart;
  // POINT OF NO RETURN
  self->pending_memory_ = nullptr;
  install_new(self, m, abi::kRightRead | abi::kRightWrite | abi::kRightExecute | abi::kRightManage);
  return Status::kOk;
}

Status sys_memory_create(Thread* self) {
  // A parked object belongs to this very call (nothing but a restart runs the thread's code in
  // between); one of another size means the thread came back with other registers: start
  // over.
  MemoryObject* parked = self->pending_memory_;
  if (parked != nullptr && parked->pages() != SysMemoryCreate(self).pages()) {
    self->pending_memory_ = nullptr;
    parked->release();
  }
  const Status s = memory_create_step(self);
  // Whatever ends the call (an error included) ends the half-made object with it.
  if (s != kRestart && self->pending_memory_ != nullptr) {
    self->pending_memory_->release();
    self->pending_memory_ = nullptr;
  }
  return s;
}

Status sys_map(Thread* self) {
  SysMap a(self);
  Capability* sc = TRY(caps_of(self).lookup(a.space(), ObjectType::kSpace, abi::kRightManage));
  Capability* mc = TRY(caps_of(self).lookup(a.memory(), ObjectType::kMemory));
  if (a.rights() > abi::kRightsAll) return Status::kInvalidArgument;
  const auto rights = static_cast<uint32_t>(a.rights());
  if ((rights & ~mc->rights) != 0) return Status::kPermissionDenied;
  return static_cast<Space*>(sc->object)
      ->map(*static_cast<MemoryObject*>(mc->object), a.vaddr(), a.first_page(), a.pages(), rights,
            mc->rights);
}

Status sys_unmap(Thread* self) {
  SysUnmap a(self);
  Capability* sc = TRY(caps_of(self).lookup(a.space(), ObjectType::kSpace, abi::kRightManage));
  return static_cast<Space*>(sc->object)->unmap(a.vaddr(), a.pages());
}

Status sys_protect(Thread* self) {
  SysProtect a(self);
  Capability* sc = TRY(caps_of(self).lookup(a.space(), ObjectType::kSpace, abi::kRightManage));
  if (a.rights() > abi::kRightsAll) return Status::kInvalidArgument;
  return static_cast<Space*>(sc->object)
      ->protect(a.vaddr(), a.pages(), static_cast<uint32_t>(a.rights()));
}

Status sys_quota_info(Thread* self) {
  SysHandle a(self);
  Capability* sc = TRY(caps_of(self).lookup(a.object(), ObjectType::kSpace));
  Quota& q = static_cast<Space*>(sc->object)->own_quota();
  set_out(self, 0, q.limit());
  set_out(self, 1, q.used());
  return Status::kOk;
}

// ---- IPC objects ----

Status sys_endpoint_create(Thread* self) {
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  Endpoint* ep = TRY(Endpoint::create(quota_of(self)));
  install_new(self, ep,
              abi::kRightSend | abi::kRightReceive | abi::kRightGrant | abi::kRightManage);
  return Status::kOk;
}

Status sys_notification_create(Thread* self) {
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  Notification* n = TRY(Notification::create(quota_of(self)));
  install_new(self, n, abi::kRightSend | abi::kRightReceive | abi::kRightManage);
  return Status::kOk;
}

// ---- capabilities ----

Status sys_cap_derive(Thread* self) {
  SysCapDerive a(self);
  Capability* src = caps_of(self).lookup(a.source());
  if (src == nullptr) return Status::kInvalidCapability;
  if (a.rights() > abi::kRightsAll) return Status::kInvalidArgument;
  const auto rights = static_cast<uint32_t>(a.rights());
  if ((rights & ~src->rights) != 0) return Status::kPermissionDenied;
  if (a.badge() != 0 && (src->badge != 0 || (src->type != ObjectType::kEndpoint &&
                                             src->type != ObjectType::kNotification))) {
    return Status::kInvalidArgument;
  }
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  Handle h = caps_of(self).take_free();
  caps_of(self).install(h, src->object, rights, a.badge() != 0 ? a.badge() : src->badge, src);
  set_out(self, 0, h);
  return Status::kOk;
}

// Deleting hands the children to the parent; a capability with more children than one step
// moves restarts until the rest fit, each step leaving a consistent tree.
Status sys_cap_delete(Thread* self) {
  Capability* cap = caps_of(self).lookup(SysHandle(self).object());
  if (cap == nullptr) return Status::kInvalidCapability;
  (void)cap_move_children_up(cap, kCapStepBudget);
  if (cap->first_child != nullptr) return kRestart;
  cap_delete(cap);
  return Status::kOk;
}

// Every step deletes at most kCapStepBudget descendants; what is left to do is exactly the
// capability's remaining children, so a restarted call simply goes on.
Status sys_cap_revoke(Thread* self) {
  Capability* cap = caps_of(self).lookup(SysHandle(self).object());
  if (cap == nullptr) return Status::kInvalidCapability;
  return cap_revoke(cap, kCapStepBudget) ? Status::kOk : kRestart;
}

Status sys_cap_info(Thread* self) {
  Capability* cap = caps_of(self).lookup(SysHandle(self).object());
  if (cap == nullptr) return Status::kInvalidCapability;
  set_out(self, 0, static_cast<uint64_t>(cap->type) | static_cast<uint64_t>(cap->rights) << 8);
  set_out(self, 1, cap->badge);
  return Status::kOk;
}

Status sys_cap_copy_to(Thread* self) {
  SysCapCopyTo a(self);
  Capability* sc = TRY(caps_of(self).lookup(a.space(), ObjectType::kSpace, abi::kRightManage));
  Capability* src = caps_of(self).lookup(a.source());
  if (src == nullptr) return Status::kInvalidCapability;
  if (a.rights() > abi::kRightsAll) return Status::kInvalidArgument;
  const auto rights = static_cast<uint32_t>(a.rights());
  if ((rights & ~src->rights) != 0) return Status::kPermissionDenied;
  auto* target = static_cast<Space*>(sc->object);
  if (!target->alive()) return Status::kPeerClosed;
  TRY(target->caps().ensure_free(1, target->own_quota()));
  Handle h = target->caps().take_free();
  target->caps().install(h, src->object, rights, src->badge, src);
  set_out(self, 0, h);
  return Status::kOk;
}

// ---- interrupts ----

Status sys_irq_create(Thread* self) {
  SysIrqCreate a(self);
  TRY(caps_of(self).lookup(a.control(), ObjectType::kIrqControl, abi::kRightManage));
  if (a.line() >= arch::kIrqLines) return Status::kOutOfRange;
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  Irq* irq = TRY(Irq::create(quota_of(self), static_cast<uint32_t>(a.line())));
  install_new(self, irq, abi::kRightManage);
  return Status::kOk;
}

Status sys_irq_bind(Thread* self) {
  SysIrqBind a(self);
  Capability* ic = TRY(caps_of(self).lookup(a.irq(), ObjectType::kIrq, abi::kRightManage));
  Capability* nc =
      TRY(caps_of(self).lookup(a.notification(), ObjectType::kNotification, abi::kRightSend));
  static_cast<Irq*>(ic->object)
      ->bind(static_cast<Notification*>(nc->object), nc->badge != 0 ? nc->badge : 1);
  return Status::kOk;
}

Status sys_irq_ack(Thread* self) {
  Capability* ic =
      TRY(caps_of(self).lookup(SysHandle(self).object(), ObjectType::kIrq, abi::kRightManage));
  return static_cast<Irq*>(ic->object)->ack();
}

// ---- I/O ports ----

// The IoPorts object behind the call's handle with `right`, once the width is one the port
// instructions have and the whole access lies in its range. Changes nothing.
Result<IoPorts*> checked_port_access(Thread* self, const SysIoPort& a, uint32_t right) {
  Capability* cap = TRY(caps_of(self).lookup(a.ports(), ObjectType::kIoPorts, right));
  if (!IoPorts::valid_width(a.width())) return Status::kInvalidArgument;
  auto* ports = static_cast<IoPorts*>(cap->object);
  if (!ports->covers(a.port(), a.width())) return Status::kOutOfRange;
  return ports;
}

Status sys_io_port_in(Thread* self) {
  SysIoPort a(self);
  TRY(checked_port_access(self, a, abi::kRightRead));
  // covers() bounds the port below abi::kIoPortSpace, so it fits in 16 bits.
  set_out(self, 0,
          arch::port_in(static_cast<uint16_t>(a.port()), static_cast<unsigned>(a.width())));
  return Status::kOk;
}

Status sys_io_port_out(Thread* self) {
  SysIoPort a(self);
  TRY(checked_port_access(self, a, abi::kRightWrite));
  // A value wider than the access is a caller bug, not something to truncate silently. (The
  // width is 1, 2 or 4 here, so the shift is at most 32.)
  if ((a.value() >> (8 * a.width())) != 0) return Status::kInvalidArgument;
  arch::port_out(static_cast<uint16_t>(a.port()), static_cast<unsigned>(a.width()),
                 static_cast<uint32_t>(a.value()));
  return Status::kOk;
}

// ---- process and diagnostics ----

Status sys_debug_print(Thread* self) {
  SysDebugPrint a(self);
  if (a.length() > abi::kDebugPrintMax) return Status::kInvalidArgument;
  uint64_t end;
  if (__builtin_add_overflow(a.text(), a.length(), &end) || end > arch::kUserHighest) {
    return Status::kBadAddress;
  }
  // Copy out page by page through the direct map, so an unmapped or kernel address is refused
  // before anything is printed.
  char buffer[abi::kDebugPrintMax];
  size_t done = 0;
  while (done < a.length()) {
    uint64_t addr = a.text() + done;
    PhysAddr phys = TRY(arch::translate_user(self->space().address_space(), addr, kPageRead));
    size_t chunk = min<size_t>(a.length() - done, kPageSize - (addr & (kPageSize - 1)));
    mem_copy(buffer + done, arch::phys_to_virt(phys), chunk);
    done += chunk;
  }
  // Prefixed with the program's name, so that it cannot pass for a kernel line.
  console_write_user(&self->space(), self->space().name(), buffer, a.length());
  return Status::kOk;
}

}  // namespace

void handle_syscall(Thread* self) {
  Status s = Status::kUnsupported;
  switch (static_cast<Syscall>(self->regs()[arch::kSysNumber])) {
    case Syscall::kCall:
      s = ipc_send(self, /*is_call=*/true);
      break;
    case Syscall::kReplyRecv:
      s = ipc_reply_recv(self);
      break;
    case Syscall::kSend:
      s = ipc_send(self, /*is_call=*/false);
      break;
    case Syscall::kRecv:
      s = ipc_recv(self);
      break;
    case Syscall::kReply:
      s = ipc_reply(self);
      break;
    case Syscall::kSignal:
      s = notification_signal(self);
      break;
    case Syscall::kWait:
      s = notification_wait(self, /*blocking=*/true);
      break;
    case Syscall::kPoll:
      s = notification_wait(self, /*blocking=*/false);
      break;
    case Syscall::kYield:
      scheduler().yield();
      s = Status::kOk;
      break;
    case Syscall::kThreadCreate:
      s = sys_thread_create(self);
      break;
    case Syscall::kThreadStart:
      s = sys_thread_start(self);
      break;
    case Syscall::kThreadExit:
      kill_thread(self);
      return;
    case Syscall::kThreadSetPriority:
      s = sys_thread_set_priority(self);
      break;
    case Syscall::kThreadSetIpcBuffer:
      s = sys_thread_set_ipc_buffer(self);
      break;
    case Syscall::kSpaceCreate:
      s = sys_space_create(self);
      break;
    case Syscall::kMemoryCreate:
      s = sys_memory_create(self);
      break;
    case Syscall::kMap:
      s = sys_map(self);
      break;
    case Syscall::kUnmap:
      s = sys_unmap(self);
      break;
    case Syscall::kProtect:
      s = sys_protect(self);
      break;
    case Syscall::kEndpointCreate:
      s = sys_endpoint_create(self);
      break;
    case Syscall::kNotificationCreate:
      s = sys_notification_create(self);
      break;
    case Syscall::kCapDerive:
      s = sys_cap_derive(self);
      break;
    case Syscall::kCapDelete:
      s = sys_cap_delete(self);
      break;
    case Syscall::kCapRevoke:
      s = sys_cap_revoke(self);
      break;
    case Syscall::kCapInfo:
      s = sys_cap_info(self);
      break;
    case Syscall::kCapCopyTo:
      s = sys_cap_copy_to(self);
      break;
    case Syscall::kIrqCreate:
      s = sys_irq_create(self);
      break;
    case Syscall::kIrqBind:
      s = sys_irq_bind(self);
      break;
    case Syscall::kIrqAck:
      s = sys_irq_ack(self);
      break;
    case Syscall::kProcessExit:
      self->space().terminate(SysProcessExit(self).code());
      return;
    case Syscall::kDebugPrint:
      s = sys_debug_print(self);
      break;
    case Syscall::kQuotaInfo:
      s = sys_quota_info(self);
      break;
    case Syscall::kSetTimer:
      s = Status::kUnsupported;
      break;
    case Syscall::kIoPortIn:
      s = sys_io_port_in(self);
      break;
    case Syscall::kIoPortOut:
      s = sys_io_port_out(self);
      break;
    case Syscall::kThreadSetTls:
      s = sys_thread_set_tls(self);
      break;
  }
  // A bounded step of a long operation: the same call runs again on the way back.
  if (s == kRestart) {
    arch::restart_syscall(self->context());
    return;
  }
  // Blocked threads get their status from whoever wakes them; dead ones need none.
  if (!self->blocked() && self->state() != ThreadState::kDead) self->set_status(s);
}

}  // namespace hmk
