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

// The guest makes a foreign system call through the entry the port uses.
void guest_syscall(Harness& h, Thread* t) {
  h.make_current(t);
  set_guest_registers(t);
  h.check_entry(foreign_syscall_entry());
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
  guest_syscall(h, p.guest.thread);
  REQUIRE(p.guest.thread->state() == ThreadState::kBlockedOnReply);
  REQUIRE(p.guest.thread->foreign_call() == ForeignCall::kSyscall);
  Thread* shim = p.shim.thread;
  REQUIRE(shim->regs()[arch::kSysHandle] == kBadge);
  REQUIRE(MessageInfo{shim->regs()[arch::kSysTag]}.label() == abi::kForeignSyscallLabel);
  const std::vector<uint64_t> expected = {1,      0x1001, 0x1002, 0x1003, 0x1004,
                                          0x1005, 0x1006, kPc,    kSp};
  REQUIRE(h.message(shim) == expected);

  // Both entries: the fast path declines a foreign caller and the slow path applies the reply.
  const Path path = GENERATE(Path::kEntry, Path::kSlow);
  reply(h, p, abi::kForeignResume, {42}, path);
  REQUIRE_FALSE(h.fast_path_taken());
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
  h.check_entry(fault_entry(14, 0xdead000));
  REQUIRE(p.guest.space->alive());
  REQUIRE(p.guest.thread->foreign_call() == ForeignCall::kFault);
  REQUIRE(MessageInfo{p.shim.thread->regs()[arch::kSysTag]}.label() == abi::kForeignFaultLabel);
  REQUIRE(h.message(p.shim.thread) == std::vector<uint64_t>{14, 0xdead000, kPc, kSp});
  reply(h, p, abi::kForeignResume, {0});
  REQUIRE(scheduler().current() == p.guest.thread);
  REQUIRE(p.guest.thread->regs()[arch::kRax] == 1);  // a fault's result register is left alone
  REQUIRE(p.guest.thread->context().frame.rip == kPc);
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

}  // namespace
}  // namespace hmk::hosted
