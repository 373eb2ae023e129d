// System call handlers, one per line of core/abi/syscalls.tbl (except the IPC and notification
// calls, in core/ipc.cc). The generated decoder (core/syscall_dispatch.inc) has looked up every
// handle argument with the type and rights the table names and checked every rights argument;
// each handler checks the rest (pointers, numbers, object state) before it changes anything
// and returns a Status, so a bad argument never reaches a panic.
#include "core/syscall.h"

#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/clock.h"
#include "core/console.h"
#include "core/endpoint.h"
#include "core/ioports.h"
#include "core/ipc.h"
#include "core/irq.h"
#include "core/lib/format.h"
#include "core/lib/util.h"
#include "core/memory_object.h"
#include "core/quota.h"
#include "core/scheduler.h"
#include "core/space.h"
#include "core/syscall_table.h"

namespace hmk {
namespace {

// Frames memory_create allocates and zeroes per step (about 1.3 * 10^5 instructions).
constexpr uint64_t kZeroStepPages = 64;
// Pages memory_clone shares per step (a few tens of instructions each).
constexpr uint64_t kCloneStepPages = 1024;

// The object behind a capability the decoder looked up with type T's object type.
template <typename T>
T& object_of(const Capability& cap) {
  return *static_cast<T*>(cap.object);
}

CapTable& caps_of(Thread* t) {
  return t->space().caps();
}
Quota& quota_of(Thread* t) {
  return t->space().own_quota();
}

// The one way a call makes a charged object and gives the caller a capability to it: a slot
// is reserved first (so the install cannot fail), then `make(quota)` creates the object,
// charged to the caller's quota (on failure it leaves nothing behind), then it goes into the
// slot, which takes over its creation reference.
template <typename Make>
Status create_installed(Thread* self, uint32_t rights, uint64_t& handle, Make make) {
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  KernelObject* object = TRY(make(quota_of(self)));
  handle = caps_of(self).install_new(object, rights);
  return Status::kOk;
}

// A child of `source` with `rights` (a subset of its own: the caller checked) in `table`,
// charged to `quota`.
Status install_child(CapTable& table, Quota& quota, Capability& source, uint32_t rights,
                     uint64_t badge, uint64_t& handle) {
  TRY(table.ensure_free(1, quota));
  handle = table.install_child(source, rights, badge);
  return Status::kOk;
}

}  // namespace

// ---- threads ----

Status sys_yield(Thread*) {
  scheduler().yield();
  return Status::kOk;
}

Status sys_thread_create(Thread* self, const SysThreadCreate& a, SysThreadCreateOut& out) {
  auto& space = object_of<Space>(a.space);
  if (!space.alive()) return Status::kPeerClosed;
  if (a.entry < arch::kUserLowest || a.entry >= arch::kUserHighest ||
      a.stack >= arch::kUserHighest) {
    return Status::kBadAddress;
  }
  return create_installed(self, abi::kRightsAll, out.thread, [&](Quota& quota) {
    return Thread::create(quota, space, a.entry, a.stack, a.arg, self->priority());
  });
}

Status sys_thread_start(Thread*, const SysThreadStart& a) {
  auto& t = object_of<Thread>(a.thread);
  if (t.state() != ThreadState::kInactive) return Status::kBusy;
  if (!t.space().alive()) return Status::kPeerClosed;
  t.space().thread_started();
  t.acquire();  // a started thread keeps itself alive until it ends
  make_runnable(&t);
  return Status::kOk;
}

void sys_thread_exit(Thread* self) {
  kill_thread(self);
}

Status sys_thread_set_priority(Thread* self, const SysThreadSetPriority& a) {
  if (a.priority >= abi::kPriorityCount) return Status::kInvalidArgument;
  if (a.priority > self->priority()) return Status::kPermissionDenied;
  auto& t = object_of<Thread>(a.thread);
  scheduler().set_priority(&t, static_cast<uint8_t>(a.priority));
  return Status::kOk;
}

Status sys_thread_set_ipc_buffer(Thread*, const SysThreadSetIpcBuffer& a) {
  auto& t = object_of<Thread>(a.thread);
  // An ended process has no page tables left to check the address against.
  if (!t.space().alive()) return Status::kPeerClosed;
  if (a.address != 0) {
    if (!is_aligned(a.address, uint64_t{8}) ||
        a.address % kPageSize + sizeof(abi::IpcBuffer) > kPageSize) {
      return Status::kInvalidArgument;
    }
    // Writable in a mapping (a lazy or copy-on-write page is faulted in now).
    if (!arch::translate_user(t.space().address_space(), a.address, kPageWrite).ok()) {
      if (t.space().resolve_fault(a.address, kPageWrite) != Status::kOk) {
        return Status::kBadAddress;
      }
    }
  }
  t.set_ipc_buffer(a.address);
  return Status::kOk;
}

// A foreign personality (core/foreign.h): the handler capability goes into the thread's own
// process's table, as cap_copy_to would put it there.
Status sys_thread_set_syscall_handler(Thread*, const SysThreadSetSyscallHandler& a) {
  auto& t = object_of<Thread>(a.thread);
  if (t.syscall_handler() != 0) return Status::kAlreadyExists;
  Space& target = t.space();
  if (!t.space().alive()) return Status::kPeerClosed;  // a dead process's table is never freed
  uint64_t handle = 0;
  TRY(install_child(target.caps(), target.own_quota(), a.handler, abi::kRightSend, a.handler.badge,
                    handle));
  // POINT OF NO RETURN
  t.set_syscall_handler(handle, static_cast<Endpoint*>(a.handler.object)->kernel_served());
  return Status::kOk;
}

Status sys_thread_read_registers(Thread* self, const SysThreadReadRegisters& a) {
  auto& t = object_of<Thread>(a.thread);
  abi::UserRegisters regs;
  arch::read_user_registers(t.context(), t.user_frame(), regs);
  return self->space().copy_out(a.registers, &regs, sizeof(regs));
}

Status sys_thread_write_registers(Thread* self, const SysThreadWriteRegisters& a) {
  auto& t = object_of<Thread>(a.thread);
  // Only a thread that is not in the middle of anything else: its registers are its own.
  if (t.state() != ThreadState::kInactive && t.foreign_call() == ForeignCall::kNone) {
    return Status::kBusy;
  }
  abi::UserRegisters regs;
  TRY(self->space().copy_in(a.registers, &regs, sizeof(regs)));
  if (regs.fs_base >= abi::kUserAddressEnd || regs.gs_base >= abi::kUserAddressEnd) {
    return Status::kBadAddress;
  }
  arch::TrapFrame frame = t.user_frame();
  if (!arch::write_user_registers(frame, regs)) return Status::kBadAddress;
  // POINT OF NO RETURN
  t.user_frame() = frame;
  arch::set_user_tls(t.context(), regs.fs_base, regs.gs_base);
  return Status::kOk;
}

// The port saves the registers first if they still hold the thread's state (a lazy switch).
Status sys_thread_read_fpu(Thread* self, const SysThreadReadFpu& a) {
  abi::FpuState fpu;
  arch::read_fpu(object_of<Thread>(a.thread).context(), fpu);
  return self->space().copy_out(a.fpu, &fpu, sizeof(fpu));
}

Status sys_thread_write_fpu(Thread* self, const SysThreadWriteFpu& a) {
  auto& t = object_of<Thread>(a.thread);
  // As thread_write_registers: only a thread whose registers are its own.
  if (t.state() != ThreadState::kInactive && t.foreign_call() == ForeignCall::kNone) {
    return Status::kBusy;
  }
  abi::FpuState fpu;
  TRY(self->space().copy_in(a.fpu, &fpu, sizeof(fpu)));
  // The port checks what would fault when loaded and then sets it, or changes nothing.
  return arch::write_fpu(t.context(), fpu) ? Status::kOk : Status::kInvalidArgument;
}

// The thread's TLS bases. Any user address will do (the thread's own business what is mapped
// there); anything else would fault when the port loads it, so it is refused here.
Status sys_thread_set_tls(Thread*, const SysThreadSetTls& a) {
  if (a.fs_base >= abi::kUserAddressEnd || a.gs_base >= abi::kUserAddressEnd) {
    return Status::kBadAddress;
  }
  // POINT OF NO RETURN
  arch::set_user_tls(object_of<Thread>(a.thread).context(), a.fs_base, a.gs_base);
  return Status::kOk;
}

// ---- spaces and memory ----

Status sys_space_create(Thread* self, const SysSpaceCreate& a, SysSpaceCreateOut& out) {
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  Quota* child_quota = TRY(Quota::create_child(quota_of(self), a.quota_bytes));
  char name[48];
  snformat(name, sizeof(name), "%.*s/child", static_cast<int>(self->space().name().size()),
           self->space().name().data());
  Result<Space*> space = Space::create(quota_of(self), *child_quota, StringView(name));
  child_quota->release();  // the space holds its own reference now (or it failed)
  if (!space.ok()) return space.status();
  // POINT OF NO RETURN
  self->space().adopt(*space);
  out.space = caps_of(self).install_new(*space, abi::kRightsAll);
  return Status::kOk;
}

namespace {

// Zeroing is the long part: kZeroStepPages frames a step, the object parked in the thread
// (which holds the only reference) between restarts.
Status memory_create_step(Thread* self, uint64_t pages, SysMemoryCreateOut& out) {
  if (pages == 0 || pages > abi::kMaxMemoryPages) return Status::kInvalidArgument;
  TRY(caps_of(self).ensure_free(1, quota_of(self)));
  MemoryObject* m = self->pending_memory();
  if (m == nullptr) {
    m = TRY(MemoryObject::create_unfilled(quota_of(self), pages));
    self->park_pending_memory(m);
  }
  TRY(m->fill(kZeroStepPages));
  if (!m->filled()) return kRestart;
  // POINT OF NO RETURN
  (void)self->take_pending_memory();
  out.memory = caps_of(self).install_new(
      m, abi::kRightRead | abi::kRightWrite | abi::kRightExecute | abi::kRightManage);
  return Status::kOk;
}

}  // namespace

// A parked object belongs to this very call (nothing but a restart runs the thread's code in
// between); one made for other arguments means the thread came back with other registers:
// start over.
void drop_stale_pending(Thread* self, uint64_t pages, const MemoryObject* clone_source) {
  MemoryObject* m = self->pending_memory();
  if (m != nullptr && (m->pages() != pages || m->clone_source() != clone_source)) {
    self->take_pending_memory()->release();
  }
}

Status sys_memory_create(Thread* self, const SysMemoryCreate& a, SysMemoryCreateOut& out) {
  if ((a.flags & ~abi::kMemoryFlagsAll) != 0) return Status::kInvalidArgument;
  if (a.flags & abi::kMemoryLazy) {  // one step: only the index is made now
    if (a.pages == 0 || a.pages > abi::kMaxMemoryPages) return Status::kInvalidArgument;
    TRY(caps_of(self).ensure_free(1, quota_of(self)));
    MemoryObject* m = TRY(MemoryObject::create_lazy(quota_of(self), a.pages));
    // POINT OF NO RETURN
    out.memory = caps_of(self).install_new(
        m, abi::kRightRead | abi::kRightWrite | abi::kRightExecute | abi::kRightManage);
    return Status::kOk;
  }
  drop_stale_pending(self, a.pages, nullptr);
  const Status s = memory_create_step(self, a.pages, out);
  // Whatever ends the call (an error included) ends the half-made object with it.
  if (s != kRestart && self->pending_memory() != nullptr) self->take_pending_memory()->release();
  return s;
}

Status sys_memory_clone(Thread* self, const SysMemoryClone& a, SysMemoryCloneOut& out) {
  auto& source = object_of<MemoryObject>(a.source);
  drop_stale_pending(self, source.pages(), &source);
  Status s = caps_of(self).ensure_free(1, quota_of(self));
  MemoryObject* m = self->pending_memory();
  if (s == Status::kOk && m == nullptr) {
    Result<MemoryObject*> made = MemoryObject::create_clone(quota_of(self), source);
    s = made.status();
    if (made.ok()) {
      m = *made;
      self->park_pending_memory(m);
    }
  }
  if (s == Status::kOk) s = m->clone_step(kCloneStepPages);
  if (s == Status::kOk && !m->filled()) return kRestart;
  if (s != Status::kOk) {  // whatever ends the call ends the half-made clone with it
    if (self->pending_memory() != nullptr) self->take_pending_memory()->release();
    return s;
  }
  // POINT OF NO RETURN
  (void)self->take_pending_memory();
  out.memory = caps_of(self).install_new(
      m, abi::kRightRead | abi::kRightWrite | abi::kRightExecute | abi::kRightManage);
  return Status::kOk;
}

Status sys_space_set_pager(Thread*, const SysSpaceSetPager& a) {
  if (a.mode != abi::kPagerKernel && a.mode != abi::kPagerHandler) return Status::kInvalidArgument;
  object_of<Space>(a.space).set_user_pager(a.mode == abi::kPagerHandler);
  return Status::kOk;
}

Status sys_space_resolve_fault(Thread*, const SysSpaceResolveFault& a) {
  constexpr uint32_t kPageRights = abi::kRightRead | abi::kRightWrite | abi::kRightExecute;
  if (a.access == 0 || (a.access & ~kPageRights) != 0) return Status::kInvalidArgument;
  const uint32_t access = ((a.access & abi::kRightWrite) ? kPageWrite : 0) |
                          ((a.access & abi::kRightExecute) ? kPageExecute : 0);
  return object_of<Space>(a.space).resolve_fault(a.address, access);
}

Status sys_map(Thread*, const SysMap& a) {
  if ((a.rights & ~a.memory.rights) != 0) return Status::kPermissionDenied;
  return object_of<Space>(a.space).map(object_of<MemoryObject>(a.memory), a.vaddr, a.first_page,
                                       a.pages, a.rights, a.memory.rights);
}

Status sys_unmap(Thread*, const SysUnmap& a) {
  return object_of<Space>(a.space).unmap(a.vaddr, a.pages);
}

Status sys_protect(Thread*, const SysProtect& a) {
  return object_of<Space>(a.space).protect(a.vaddr, a.pages, a.rights);
}

Status sys_quota_info(Thread*, const SysQuotaInfo& a, SysQuotaInfoOut& out) {
  Quota& q = object_of<Space>(a.space).own_quota();
  out.limit = q.limit();
  out.used = q.used();
  return Status::kOk;
}

// ---- IPC objects ----

Status sys_endpoint_create(Thread* self, SysEndpointCreateOut& out) {
  return create_installed(
      self, abi::kRightSend | abi::kRightReceive | abi::kRightGrant | abi::kRightManage,
      out.endpoint, [](Quota& quota) { return Endpoint::create(quota); });
}

Status sys_notification_create(Thread* self, SysNotificationCreateOut& out) {
  return create_installed(self, abi::kRightSend | abi::kRightReceive | abi::kRightManage,
                          out.notification,
                          [](Quota& quota) { return Notification::create(quota); });
}

// ---- capabilities ----

Status sys_cap_derive(Thread* self, const SysCapDerive& a, SysCapDeriveOut& out) {
  Capability& src = a.source;
  if ((a.rights & ~src.rights) != 0) return Status::kPermissionDenied;
  if (a.badge != 0 && (src.badge != 0 || (src.type != ObjectType::kEndpoint &&
                                          src.type != ObjectType::kNotification))) {
    return Status::kInvalidArgument;
  }
  return install_child(caps_of(self), quota_of(self), src, a.rights,
                       a.badge != 0 ? a.badge : src.badge, out.handle);
}

// Deleting hands the children to the parent; a capability with more children than one step
// moves restarts until the rest fit, each step leaving a consistent tree.
Status sys_cap_delete(Thread*, const SysCapDelete& a) {
  (void)cap_move_children_up(&a.handle, kCapStepBudget);
  if (a.handle.first_child != nullptr) return kRestart;
  cap_delete(&a.handle);
  return Status::kOk;
}

// Every step deletes at most kCapStepBudget descendants; what is left to do is exactly the
// capability's remaining children, so a restarted call simply goes on.
Status sys_cap_revoke(Thread*, const SysCapRevoke& a) {
  return cap_revoke(&a.handle, kCapStepBudget) ? Status::kOk : kRestart;
}

Status sys_cap_info(Thread*, const SysCapInfo& a, SysCapInfoOut& out) {
  out.type = a.handle.type;
  out.rights = a.handle.rights;
  out.badge = a.handle.badge;
  return Status::kOk;
}

Status sys_cap_copy_to(Thread*, const SysCapCopyTo& a, SysCapCopyToOut& out) {
  if ((a.rights & ~a.source.rights) != 0) return Status::kPermissionDenied;
  auto& target = object_of<Space>(a.space);
  if (!target.alive()) return Status::kPeerClosed;
  return install_child(target.caps(), target.own_quota(), a.source, a.rights, a.source.badge,
                       out.handle);
}

Status sys_process_terminate(Thread*, const SysProcessTerminate& a) {
  auto& space = object_of<Space>(a.space);
  if (!space.alive()) return Status::kPeerClosed;
  space.terminate(a.code);
  return Status::kOk;
}

// ---- interrupts ----

Status sys_irq_create(Thread* self, const SysIrqCreate& a, SysIrqCreateOut& out) {
  if (a.line >= arch::kIrqLines) return Status::kOutOfRange;
  return create_installed(self, abi::kRightManage, out.irq, [&](Quota& quota) {
    return Irq::create(quota, static_cast<uint32_t>(a.line));
  });
}

Status sys_irq_bind(Thread*, const SysIrqBind& a) {
  object_of<Irq>(a.irq).bind(&object_of<Notification>(a.notification),
                             a.notification.badge != 0 ? a.notification.badge : 1);
  return Status::kOk;
}

Status sys_irq_ack(Thread*, const SysIrqAck& a) {
  return object_of<Irq>(a.irq).ack();
}

// ---- I/O ports ----

namespace {

// Whether an access of `width` bytes at `port` is one the port instructions have and lies in
// the range of `ports`. Changes nothing.
Status check_port_access(const Capability& ports, uint64_t port, uint64_t width) {
  if (!IoPorts::valid_width(width)) return Status::kInvalidArgument;
  if (!object_of<IoPorts>(ports).covers(port, width)) return Status::kOutOfRange;
  return Status::kOk;
}

}  // namespace

Status sys_io_port_in(Thread*, const SysIoPortIn& a, SysIoPortInOut& out) {
  TRY(check_port_access(a.ports, a.port, a.width));
  // covers() bounds the port below abi::kIoPortSpace, so it fits in 16 bits.
  out.value = arch::port_in(static_cast<uint16_t>(a.port), static_cast<unsigned>(a.width));
  return Status::kOk;
}

Status sys_io_port_out(Thread*, const SysIoPortOut& a) {
  TRY(check_port_access(a.ports, a.port, a.width));
  // A value wider than the access is a caller bug, not something to truncate silently. (The
  // width is 1, 2 or 4 here, so the shift is at most 32.)
  if ((a.value >> (8 * a.width)) != 0) return Status::kInvalidArgument;
  arch::port_out(static_cast<uint16_t>(a.port), static_cast<unsigned>(a.width),
                 static_cast<uint32_t>(a.value));
  return Status::kOk;
}

// ---- process and diagnostics ----

void sys_process_exit(Thread* self, const SysProcessExit& a) {
  self->space().terminate(a.code);
}

Status sys_debug_print(Thread* self, const SysDebugPrint& a) {
  if (a.length > abi::kDebugPrintMax) return Status::kInvalidArgument;
  uint64_t end;
  if (__builtin_add_overflow(a.text, a.length, &end) || end > arch::kUserHighest) {
    return Status::kBadAddress;
  }
  // An unmapped or kernel address is refused before anything is printed.
  char buffer[abi::kDebugPrintMax];
  TRY(self->space().copy_in(a.text, buffer, a.length));
  // Prefixed with the program's name, so that it cannot pass for a kernel line.
  console_write_user(&self->space(), self->space().name(), buffer, a.length);
  return Status::kOk;
}

Status sys_set_timer(Thread*, const SysSetTimer& a) {
  Capability& cap = a.notification;
  static_cast<Notification*>(cap.object)->set_timer(a.deadline, cap.badge != 0 ? cap.badge : 1);
  return Status::kOk;
}

Status sys_clock_read(Thread*, SysClockReadOut& out) {
  out.ns = monotonic_ns();
  return Status::kOk;
}

void handle_syscall(Thread* self) {
  const uint64_t number = self->regs()[arch::kSysNumber];
  const Status s = number < abi::kSyscallCount ? kSyscallTable[number](self) : Status::kUnsupported;
  // A bounded step of a long operation: the same call runs again on the way back.
  if (s == kRestart) {
    arch::restart_syscall(self->context());
    return;
  }
  // Blocked threads get their status from whoever wakes them; dead ones need none.
  if (!self->blocked() && self->state() != ThreadState::kDead) self->set_status(s);
}

}  // namespace hmk

// The decoders and the dispatch table, generated from core/abi/syscalls.tbl.
#include "core/syscall_dispatch.inc"  // NOLINT(bugprone-suspicious-include)
