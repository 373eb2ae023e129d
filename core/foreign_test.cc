// Foreign personalities on the hosted port: a thread given a syscall handler calls it with its
// registers on every system call and fault, and the reply resumes it (with its other registers
// unchanged), ends its process, or, outside the protocol, ends it as a fault would.
#include <catch2/catch.hpp>
#include <vector>

#include "core/foreign.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

constexpr uint64_t kBadge = 0x77;
constexpr uint64_t kPc = 0x401234;
constexpr uint64_t kSp = 0x7ffff000;

// A handler process ("shim") and a foreign one whose first thread calls it.
struct Personality {
  explicit Personality(Harness& h) : shim(h.spawn("shim")), guest(h.spawn("guest")) {
    endpoint = h.create_endpoint(shim.space);
    badged = h.grant(shim.space, endpoint, shim.space, abi::kRightSend, kBadge);
    guest_thread = h.grant(guest.space, abi::kSelfThread, shim.space, abi::kRightManage);
    REQUIRE(h.syscall(shim.thread, Syscall::kThreadSetSyscallHandler, {guest_thread, badged}) ==
            Status::kOk);
    REQUIRE(guest.thread->syscall_handler() != 0);
    (void)h.ipc(shim.thread, Syscall::kRecv, endpoint, MessageInfo::make(0, 0));  // blocks
    REQUIRE(shim.thread->state() == ThreadState::kBlockedOnReceive);
  }
  Harness::Process shim;
  Harness::Process guest;
  Handle endpoint;
  Handle badged;
  Handle guest_thread;
};

// The guest's registers as a foreign system call leaves them, set before the call.
void set_guest_registers(Thread* t) {
  uint64_t* r = t->regs();
  for (uint32_t i = 0; i < arch::kRegCount; ++i)
    r[i] = 0x1000 + i;
  r[arch::kRax] = 1;  // the foreign ABI's number (Linux: write)
  t->context().frame.rip = kPc;
  t->context().frame.rsp = kSp;
}

// The guest makes a foreign system call as the port's stub does: the fast path first (kEntry),
// or the slow entry alone (kSlow).
void guest_syscall(Harness& h, Thread* t, Path path = Path::kSlow) {
  h.make_current(t);
  set_guest_registers(t);
  (void)h.enter(t, path);
}

void reply(Harness& h, Personality& p, uint32_t label, const std::vector<uint64_t>& words,
           Path path = Path::kEntry) {
  // The shim replies and waits for the next call (its status is the guest's business only).
  (void)h.ipc(p.shim.thread, Syscall::kReplyRecv, p.endpoint,
              MessageInfo::make(label, static_cast<uint32_t>(words.size())), words, path);
  REQUIRE(p.shim.thread->state() == ThreadState::kBlockedOnReceive);
}

TEST_CASE(
    "a foreign system call reaches the handler with the registers and resumes with the "
    "result") {
  Harness h;
  Personality p(h);
  // Both ways in: the stub's fast path (the handler waits) and the slow entry.
  const Path in = GENERATE(Path::kEntry, Path::kSlow);
  guest_syscall(h, p.guest.thread, in);
  REQUIRE(h.fast_path_taken() == (in == Path::kEntry));
  REQUIRE(p.guest.thread->state() == ThreadState::kBlockedOnReply);
  REQUIRE(p.guest.thread->foreign_call() == ForeignCall::kSyscall);
  // The guest's registers as it will resume with them, whichever way it came in.
  REQUIRE(p.guest.thread->user_frame().rip == kPc);
  REQUIRE(p.guest.thread->user_frame().regs[arch::kRax] == 1);
  Thread* shim = p.shim.thread;
  REQUIRE(shim->regs()[arch::kSysHandle] == kBadge);
  REQUIRE(MessageInfo{shim->regs()[arch::kSysTag]}.label() == abi::kForeignSyscallLabel);
  const std::vector<uint64_t> expected = {1,      0x1001, 0x1002, 0x1003, 0x1004,
                                          0x1005, 0x1006, kPc,    kSp};
  REQUIRE(h.message(shim) == expected);

  // Both ways out: the fast path applies a kForeignResume itself, the slow path in resume_next.
  const Path path = GENERATE(Path::kEntry, Path::kSlow);
  reply(h, p, abi::kForeignResume, {42}, path);
  REQUIRE(h.fast_path_taken() == (path == Path::kEntry));
  REQUIRE(scheduler().current() == p.guest.thread);
  REQUIRE(p.guest.thread->foreign_call() == ForeignCall::kNone);
  const uint64_t* r = p.guest.thread->regs();
  REQUIRE(r[arch::kRax] == 42);
  for (uint32_t i = 1; i < arch::kRegCount; ++i) {
    INFO("register " << i);
    REQUIRE(r[i] == 0x1000 + i);
  }
  REQUIRE(p.guest.thread->context().frame.rip == kPc);
  REQUIRE(p.guest.thread->context().frame.rsp == kSp);
  h.finish();
}

TEST_CASE("a foreign thread's fault reaches the handler; resuming retries it") {
  Harness h;
  Personality p(h);
  h.make_current(p.guest.thread);
  set_guest_registers(p.guest.thread);
  h.check_entry(fault_entry(14, 0xdead000, FaultAccess::kWrite));
  REQUIRE(p.guest.space->alive());
  REQUIRE(p.guest.thread->foreign_call() == ForeignCall::kFault);
  REQUIRE(MessageInfo{p.shim.thread->regs()[arch::kSysTag]}.label() == abi::kForeignFaultLabel);
  REQUIRE(h.message(p.shim.thread) ==
          std::vector<uint64_t>{14, 0xdead000, kPc, kSp, abi::kRightWrite});
  reply(h, p, abi::kForeignResume, {0});
  REQUIRE(scheduler().current() == p.guest.thread);
  REQUIRE(p.guest.thread->regs()[arch::kRax] == 1);  // a fault's result register is left alone
  REQUIRE(p.guest.thread->context().frame.rip == kPc);
  // Another exception: no access word.
  h.check_entry(fault_entry(6, 0, FaultAccess::kNone));
  REQUIRE(h.message(p.shim.thread) == std::vector<uint64_t>{6, 0, kPc, kSp, 0});
  h.finish();
}

TEST_CASE("a user-level pager: the handler resolves the fault with space_resolve_fault") {
  Harness h;
  Personality p(h);
  constexpr uint64_t kPage = 0x40'0000;
  Thread* pager = h.add_thread(p.shim.space);  // the shim's other thread; the first one receives
  const Handle guest_space =
      h.grant(p.guest.space, abi::kSelfSpace, p.shim.space, abi::kRightManage);
  REQUIRE(h.syscall(pager, Syscall::kMemoryCreate, {1, abi::kMemoryLazy}) == Status::kOk);
  const auto mem = static_cast<Handle>(pager->regs()[arch::kRdi]);
  REQUIRE(h.syscall(pager, Syscall::kMap,
                    {guest_space, mem, kPage, 0, 1, abi::kRightRead | abi::kRightWrite}) ==
          Status::kOk);
  CHECK(h.syscall(pager, Syscall::kSpaceSetPager, {guest_space, 2}) == Status::kInvalidArgument);
  REQUIRE(h.syscall(pager, Syscall::kSpaceSetPager, {guest_space, abi::kPagerHandler}) ==
          Status::kOk);
  // The fault is not resolved in the kernel: the handler hears of it, with the access.
  set_guest_registers(p.guest.thread);
  REQUIRE_FALSE(h.page_fault(p.guest.thread, kPage + 8, FaultAccess::kWrite));
  REQUIRE(p.guest.thread->foreign_call() == ForeignCall::kFault);
  REQUIRE(h.message(p.shim.thread) ==
          std::vector<uint64_t>{14, kPage + 8, kPc, kSp, abi::kRightWrite});
  CHECK_FALSE(arch::translate_user(p.guest.space->address_space(), kPage, kPageRead).ok());
  // The pager's errors, then the page put in as kernel paging would.
  CHECK(h.syscall(pager, Syscall::kSpaceResolveFault, {guest_space, kPage, 0}) ==
        Status::kInvalidArgument);
  CHECK(h.syscall(pager, Syscall::kSpaceResolveFault, {guest_space, kPage, abi::kRightExecute}) ==
        Status::kBadAddress);
  CHECK(h.syscall(pager, Syscall::kSpaceResolveFault,
                  {guest_space, kPage + kPageSize, abi::kRightRead}) == Status::kBadAddress);
  REQUIRE(h.syscall(pager, Syscall::kSpaceResolveFault,
                    {guest_space, kPage + 8, abi::kRightWrite}) == Status::kOk);
  CHECK(arch::translate_user(p.guest.space->address_space(), kPage, kPageWrite).ok());
  reply(h, p, abi::kForeignResume, {0});
  REQUIRE(scheduler().current() == p.guest.thread);
  REQUIRE(p.guest.thread->context().frame.rip == kPc);  // retries the access
  // Back to kernel paging: resolved without the handler.
  REQUIRE(h.syscall(pager, Syscall::kSpaceSetPager, {guest_space, abi::kPagerKernel}) ==
          Status::kOk);
  REQUIRE(h.page_fault(p.guest.thread, kPage, FaultAccess::kRead));
  // Once the guest's process has ended nothing is resolved, even in a mapping its teardown
  // (a bounded step per kernel entry) has not reached yet: behind five mappings of 1,024 pages.
  REQUIRE(h.syscall(pager, Syscall::kMemoryCreate, {1024, abi::kMemoryLazy}) == Status::kOk);
  const auto big = static_cast<Handle>(pager->regs()[arch::kRdi]);
  constexpr uint64_t kFar = 0x1000'0000;
  for (uint64_t i = 0; i < 6; ++i) {
    REQUIRE(h.syscall(pager, Syscall::kMap,
                      {guest_space, big, kFar + i * 1024 * kPageSize, 0, 1024, abi::kRightRead}) ==
            Status::kOk);
  }
  const uint64_t last = kFar + 6 * 1024 * kPageSize - kPageSize;
  REQUIRE(h.syscall(pager, Syscall::kProcessTerminate, {guest_space, 1}) == Status::kOk);
  REQUIRE(p.guest.space->tearing_down());
  CHECK(h.syscall(pager, Syscall::kSpaceResolveFault, {guest_space, last, abi::kRightRead}) ==
        Status::kBadAddress);
  h.drain_teardown();
  CHECK(h.syscall(pager, Syscall::kSpaceResolveFault, {guest_space, kPage, abi::kRightRead}) ==
        Status::kBadAddress);
  h.finish();
}

TEST_CASE("the handler ends the foreign process with an exit code") {
  Harness h;
  Personality p(h);
  guest_syscall(h, p.guest.thread);
  reply(h, p, abi::kForeignExit, {7});
  REQUIRE_FALSE(p.guest.space->alive());
  REQUIRE(p.guest.space->exit_code() == 7);
  REQUIRE(p.guest.thread->state() == ThreadState::kDead);
  h.finish();
}

TEST_CASE("the handler ends one thread of a foreign process; the last one ends the process") {
  Harness h;
  Personality p(h);
  SECTION("another thread lives on") {
    Thread* second = h.add_thread(p.guest.space);
    guest_syscall(h, p.guest.thread);
    reply(h, p, abi::kForeignThreadExit, {0});
    REQUIRE(p.guest.thread->state() == ThreadState::kDead);
    REQUIRE(second->state() != ThreadState::kDead);
    REQUIRE(p.guest.space->alive());
  }
  SECTION("the last thread") {
    guest_syscall(h, p.guest.thread);
    reply(h, p, abi::kForeignThreadExit, {0});
    REQUIRE(p.guest.thread->state() == ThreadState::kDead);
    REQUIRE_FALSE(p.guest.space->alive());
    REQUIRE(p.guest.space->exit_code() == 0);
  }
  h.finish();
}

TEST_CASE("a reply outside the protocol ends the foreign process") {
  Harness h;
  Personality p(h);
  guest_syscall(h, p.guest.thread);
  SECTION("another label") {
    reply(h, p, 0x1234, {1});
  }
  SECTION("no result word") {
    reply(h, p, abi::kForeignResume, {});
  }
  REQUIRE_FALSE(p.guest.space->alive());
  REQUIRE(p.guest.space->exit_code() == -1);
  h.finish();
}

TEST_CASE(
    "a foreign thread whose handler capability is gone ends; its handler going away "
    "ends it too") {
  Harness h;
  Personality p(h);
  SECTION("capability deleted before the call") {
    Thread* other = h.add_thread(p.shim.space);  // the first shim thread waits in recv
    REQUIRE(h.syscall(other, Syscall::kCapRevoke, {p.endpoint}) == Status::kOk);
    guest_syscall(h, p.guest.thread);
  }
  SECTION("the handler's endpoint dies while the call waits for a reply") {
    guest_syscall(h, p.guest.thread);
    REQUIRE(p.guest.thread->state() == ThreadState::kBlockedOnReply);
    h.make_current(p.shim.thread);
    p.shim.space->terminate(0);
    h.check_entry(resume_entry());
  }
  REQUIRE_FALSE(p.guest.space->alive());
  REQUIRE(p.guest.space->exit_code() == -1);
  h.finish();
}

TEST_CASE("thread_set_syscall_handler: once per thread") {
  Harness h;
  Personality p(h);
  Thread* other = h.add_thread(p.shim.space);  // the first shim thread waits in recv
  REQUIRE(h.syscall(other, Syscall::kThreadSetSyscallHandler, {p.guest_thread, p.badged}) ==
          Status::kAlreadyExists);
  // The guest's table holds the handler capability: Send only, the badge kept.
  Capability* cap = h.cap(p.guest.space, p.guest.thread->syscall_handler());
  REQUIRE(cap != nullptr);
  REQUIRE(cap->rights == abi::kRightSend);
  REQUIRE(cap->badge == kBadge);
  h.finish();
}

constexpr uint64_t kBuffer = 0x20'0000;  // a page of the shim's for register transfers

abi::UserRegisters* shim_buffer(Harness& h, Personality& p) {
  return reinterpret_cast<abi::UserRegisters*>(h.user_memory(p.shim.space, kBuffer, kPageWrite));
}

TEST_CASE("thread_read_registers: a thread in a foreign call shows what it will resume with") {
  Harness h;
  Personality p(h);
  h.map_memory(p.shim.space, kBuffer, 1);
  guest_syscall(h, p.guest.thread);
  Thread* other = h.add_thread(p.shim.space);
  REQUIRE(h.syscall(other, Syscall::kThreadReadRegisters, {p.guest_thread, kBuffer}) ==
          Status::kOk);
  const abi::UserRegisters& regs = *shim_buffer(h, p);
  CHECK(regs.rax == 1);
  CHECK(regs.rdi == 0x1000 + arch::kRdi);
  CHECK(regs.r9 == 0x1000 + arch::kR9);
  CHECK(regs.rbx == 0x1000 + arch::kRbx);
  CHECK(regs.r15 == 0x1000 + arch::kR15);
  CHECK(regs.rip == kPc);
  CHECK(regs.rsp == kSp);
  // Not into memory the caller cannot write.
  CHECK(h.syscall(other, Syscall::kThreadReadRegisters, {p.guest_thread, 0x30'0000}) ==
        Status::kBadAddress);
  h.finish();
}

TEST_CASE("thread_write_registers: a thread in a foreign call resumes with what was written") {
  Harness h;
  Personality p(h);
  h.map_memory(p.shim.space, kBuffer, 1);
  guest_syscall(h, p.guest.thread);
  Thread* other = h.add_thread(p.shim.space);
  abi::UserRegisters regs = {};
  regs.rbx = 0xb0b;
  regs.r12 = 0x12;
  regs.rip = 0x500000;
  regs.rsp = 0x7000'0000;
  regs.fs_base = 0x600000;
  SECTION("a pc outside user space changes nothing") {
    regs.rip = abi::kUserAddressEnd;
    *shim_buffer(h, p) = regs;
    REQUIRE(h.syscall(other, Syscall::kThreadWriteRegisters, {p.guest_thread, kBuffer}) ==
            Status::kBadAddress);
    regs.rip = 0x500000;
    regs.fs_base = abi::kUserAddressEnd;
    *shim_buffer(h, p) = regs;
    REQUIRE(h.syscall(other, Syscall::kThreadWriteRegisters, {p.guest_thread, kBuffer}) ==
            Status::kBadAddress);
    reply(h, p, abi::kForeignResume, {5});
    h.make_current(p.guest.thread);
    CHECK(p.guest.thread->context().frame.rip == kPc);
    CHECK(p.guest.thread->regs()[arch::kRbx] == 0x1000 + arch::kRbx);
  }
  SECTION("written, then the reply's result") {
    *shim_buffer(h, p) = regs;
    REQUIRE(h.syscall(other, Syscall::kThreadWriteRegisters, {p.guest_thread, kBuffer}) ==
            Status::kOk);
    reply(h, p, abi::kForeignResume, {0});
    h.make_current(p.guest.thread);
    const arch::UserContext& ctx = p.guest.thread->context();
    CHECK(ctx.frame.rip == 0x500000);
    CHECK(ctx.frame.rsp == 0x7000'0000);
    CHECK(ctx.frame.regs[arch::kRbx] == 0xb0b);
    CHECK(ctx.frame.regs[arch::kR12] == 0x12);
    CHECK(ctx.frame.regs[arch::kRax] == 0);
    CHECK(ctx.fs_base == 0x600000);
  }
  // A thread that is running user code or in a native call is not written.
  Thread* busy = h.add_thread(p.shim.space);
  Handle busy_handle = h.grant(p.shim.space, abi::kSelfThread, p.shim.space, abi::kRightManage);
  (void)busy;
  CHECK(h.syscall(other, Syscall::kThreadWriteRegisters, {busy_handle, kBuffer}) == Status::kBusy);
  h.finish();
}

TEST_CASE("thread_read_fpu, thread_write_fpu: a thread in a foreign call resumes with them") {
  Harness h;
  Personality p(h);
  h.map_memory(p.shim.space, kBuffer, 1);
  abi::FpuState live = {};
  live.fcw = abi::kFpuResetFcw;
  live.mxcsr = 0x7f80;  // the thread changed the rounding mode before its call
  live.xmm[0][0] = 0x11;
  run_fpu(p.guest.thread->context(), live);
  guest_syscall(h, p.guest.thread);
  Thread* other = h.add_thread(p.shim.space);
  auto& buffer = *reinterpret_cast<abi::FpuState*>(shim_buffer(h, p));
  REQUIRE(h.syscall(other, Syscall::kThreadReadFpu, {p.guest_thread, kBuffer}) == Status::kOk);
  CHECK(buffer.mxcsr == 0x7f80);
  CHECK(buffer.xmm[0][0] == 0x11);
  buffer.xmm[0][0] = 0x22;  // a handler's change, as a signal return makes
  REQUIRE(h.syscall(other, Syscall::kThreadWriteFpu, {p.guest_thread, kBuffer}) == Status::kOk);
  reply(h, p, abi::kForeignResume, {0});
  h.make_current(p.guest.thread);
  abi::FpuState resumed;
  arch::read_fpu(p.guest.thread->context(), resumed);
  CHECK(resumed.xmm[0][0] == 0x22);
  CHECK(resumed.mxcsr == 0x7f80);
  h.finish();
}

TEST_CASE("process_terminate ends a foreign process from its handler") {
  Harness h;
  Personality p(h);
  Thread* other = h.add_thread(p.shim.space);
  Handle guest_space = h.grant(p.guest.space, abi::kSelfSpace, p.shim.space, abi::kRightManage);
  // A thread the handler made in the process and has not started yet.
  REQUIRE(h.syscall(other, Syscall::kThreadCreate, {guest_space, 0x40'1000, 0x7fff'0000, 0}) ==
          Status::kOk);
  const auto unstarted = static_cast<Handle>(other->regs()[arch::kRdi]);
  REQUIRE(h.syscall(other, Syscall::kProcessTerminate, {guest_space, 9}) == Status::kOk);
  CHECK_FALSE(p.guest.space->alive());
  CHECK(p.guest.space->exit_code() == 9);
  CHECK(h.syscall(other, Syscall::kProcessTerminate, {guest_space, 9}) == Status::kPeerClosed);
  // The ended process's threads can be neither started (its end made them dead, not inactive)
  // nor given a handler.
  CHECK(h.syscall(other, Syscall::kThreadStart, {unstarted}) == Status::kBusy);
  CHECK(h.syscall(other, Syscall::kThreadSetSyscallHandler, {unstarted, p.badged}) ==
        Status::kPeerClosed);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
