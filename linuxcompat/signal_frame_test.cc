// Signal frames on the host (a fake memory backend, as in address_space_test.cc): the FPU state
// where Linux puts it on x86-64 (struct _fpstate above the rt_sigframe, 64-byte aligned, pointed
// to by uc_mcontext.fpregs), read back by rt_sigreturn, and delivery and rt_sigreturn moving it
// between the task's thread and the frame through the shim's services.
#include <catch2/catch.hpp>
#include <cstring>

#include "linuxcompat/signal_frame.h"
#include "linuxcompat/signals.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"
#include "linuxcompat/test_services.h"

namespace hmk::lx {
namespace {

constexpr uint64_t kStackBase = 0x7000'0000;
constexpr uint64_t kStackPages = 16;
constexpr uint64_t kStackTop = kStackBase + kStackPages * kPageSize;
constexpr uint64_t kAltstack = 0x6000'0000;  // 4 pages
constexpr uint64_t kHandler = 0x401000;
constexpr uint64_t kRestorer = 0x402000;
constexpr uint64_t kFrameSize = 440;     // struct rt_sigframe (x86-64)
constexpr uint64_t kFpregsAt = 8 + 224;  // &uc_mcontext.fpregs - frame (pretcode, then ucontext_t)
constexpr uint64_t kMxcsrMask = 0xffff;

// The kernel thread of the task, as the fake services see it.
abi::UserRegisters g_regs;
abi::FpuState g_fpu;
int g_fpu_writes = 0;

const ShimServices& fake_services() {
  static const ShimServices services = [] {
    ShimServices s = host_test_services();
    s.read_registers = [](Task&, abi::UserRegisters* out) {
      *out = g_regs;
      return Status::kOk;
    };
    s.write_registers = [](Task&, const abi::UserRegisters& in) {
      g_regs = in;
      return Status::kOk;
    };
    s.read_fpu = [](Task&, abi::FpuState* out) {
      *out = g_fpu;
      return Status::kOk;
    };
    s.write_fpu = [](Task&, const abi::FpuState& in) {
      if ((in.mxcsr & ~kMxcsrMask) != 0) return Status::kInvalidArgument;  // as the kernel
      g_fpu = in;
      ++g_fpu_writes;
      return Status::kOk;
    };
    return s;
  }();
  return services;
}

// A state no thread has by chance: every byte from `seed`, a valid MXCSR.
abi::FpuState pattern(uint8_t seed) {
  abi::FpuState s;
  auto* bytes = reinterpret_cast<uint8_t*>(&s);
  for (size_t i = 0; i < sizeof(s); ++i)
    bytes[i] = static_cast<uint8_t>(seed + i);
  s.mxcsr = 0x7f80;
  return s;
}

bool same(const abi::FpuState& a, const abi::FpuState& b) {
  return std::memcmp(&a, &b, sizeof(a)) == 0;
}

struct Fixture {
  Fixture() {
    REQUIRE(process.mm.map_anonymous(kStackBase, kStackPages, kProtRead | kProtWrite) == 0);
    REQUIRE(process.mm.map_anonymous(kAltstack, 4, kProtRead | kProtWrite) == 0);
    g_fpu_writes = 0;
  }
  uint64_t get64(uint64_t at) {
    uint64_t value = 0;
    REQUIRE(process.mm.copy_in(&value, at, 8));
    return value;
  }
  abi::FpuState fpstate_at(uint64_t at) {
    abi::FpuState s;
    REQUIRE(process.mm.copy_in(&s, at, sizeof(s)));
    return s;
  }
  HostBackend backend;
  Process process{3, 2, 0, backend};
  Task task{process, 3, 0};
};

KernelSigaction handler_action(uint64_t flags = 0) {
  return {kHandler, kSaSiginfo | kSaRestorer | flags, kRestorer, 0};
}

TEST_CASE("the FPU state lies above the frame, 64-byte aligned, where uc_mcontext.fpregs points") {
  Fixture f;
  const abi::FpuState fpu = pattern(1);
  const uint64_t rsp = GENERATE(kStackTop - 0x100, kStackTop - 0x108, kStackTop - 0x13c);
  const bool altstack = GENERATE(false, true);
  INFO("rsp " << std::hex << rsp << (altstack ? " on the alternate stack" : ""));
  if (altstack) {
    f.task.altstack_sp = kAltstack;
    f.task.altstack_size = 4 * kPageSize - (rsp & 0x3f);
  }
  abi::UserRegisters regs = {};
  regs.rsp = rsp;
  REQUIRE(push_signal_frame(f.task, kSigusr1, handler_action(altstack ? kSaOnstack : 0), {0, 1, 0},
                            0, fpu, regs) == 0);
  const uint64_t sp = regs.rsp;
  const uint64_t top = altstack ? kAltstack + f.task.altstack_size : rsp - 128;  // red zone
  const uint64_t fpregs = f.get64(sp + kFpregsAt);
  CHECK(fpregs % 64 == 0);
  CHECK(fpregs + sizeof(abi::FpuState) <= top);
  CHECK(fpregs + sizeof(abi::FpuState) + 64 > top);  // the highest aligned place
  CHECK(sp + kFrameSize <= fpregs);
  CHECK(sp + kFrameSize + 16 + 8 > fpregs);  // the frame right below it
  CHECK((sp + 8) % 16 == 0);
  CHECK(regs.rdx == sp + 8);
  // uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, and no UC_FP_XSTATE (fxsave only).
  CHECK(f.get64(sp + 8) == 0x6);
  // The image as read, but sw_reserved (bytes 464..511): no xsave magic, all zero.
  abi::FpuState expected = fpu;
  std::memset(expected.available, 0, sizeof(expected.available));
  CHECK(same(f.fpstate_at(fpregs), expected));
}

TEST_CASE("rt_sigreturn reads the FPU state back from fpregs; NULL is the reset state") {
  Fixture f;
  abi::UserRegisters regs = {};
  regs.rsp = kStackTop - 0x200;
  regs.rbx = 0xb0b;
  REQUIRE(push_signal_frame(f.task, kSigusr1, handler_action(), {0, 1, 0}, 0, pattern(2), regs) ==
          0);
  const uint64_t sp = regs.rsp;
  const uint64_t fpregs = f.get64(sp + kFpregsAt);
  const uint64_t after_ret = sp + 8;  // the handler's ret took the restorer
  abi::FpuState edited = f.fpstate_at(fpregs);
  edited.xmm[3][0] = 0x33;  // a handler's change, as a program may make it
  REQUIRE(f.process.mm.copy_out(fpregs, &edited, sizeof(edited)));
  abi::UserRegisters back = {};
  abi::FpuState fpu = {};
  uint64_t mask = 0;
  SECTION("the state at fpregs") {
    REQUIRE(pop_signal_frame(f.task, after_ret, back, fpu, &mask) == 0);
    CHECK(same(fpu, edited));
    CHECK(back.rbx == 0xb0b);
  }
  SECTION("fpregs NULL") {
    const uint64_t null = 0;
    REQUIRE(f.process.mm.copy_out(sp + kFpregsAt, &null, 8));
    REQUIRE(pop_signal_frame(f.task, after_ret, back, fpu, &mask) == 0);
    CHECK(same(fpu, fpu_reset_state()));
    CHECK(fpu.fcw == 0x37f);
    CHECK(fpu.mxcsr == 0x1f80);
  }
  SECTION("fpregs not 16-byte aligned, or not mapped: EFAULT (Linux: SIGSEGV)") {
    const uint64_t bad = GENERATE_COPY(fpregs + 8, uint64_t{0x10'0000}, kStackTop - 256);
    REQUIRE(f.process.mm.copy_out(sp + kFpregsAt, &bad, 8));
    CHECK(pop_signal_frame(f.task, after_ret, back, fpu, &mask) == -kEFAULT);
  }
}

TEST_CASE(
    "delivery saves the thread's FPU state in the frame and resets it; rt_sigreturn loads it") {
  Fixture f;
  f.process.actions[kSigusr1 - 1] = handler_action();
  g_regs = {};
  g_regs.rsp = kStackTop - 0x300;
  g_regs.rip = 0x401234;
  const abi::FpuState interrupted = pattern(4);
  g_fpu = interrupted;
  f.task.pending = uint64_t{1} << (kSigusr1 - 1);
  REQUIRE(deliver_pending(f.task, 0, 0, SignalSource{0, 0, 0}) == 0);
  REQUIRE_FALSE(f.task.exiting);
  REQUIRE(g_regs.rip == kHandler);
  // The handler starts with the reset state; the frame holds the interrupted code's.
  CHECK(same(g_fpu, fpu_reset_state()));
  const uint64_t fpregs = f.get64(g_regs.rsp + kFpregsAt);
  abi::FpuState in_frame = f.fpstate_at(fpregs);
  CHECK(std::memcmp(&in_frame, &interrupted, 464) == 0);
  g_fpu = pattern(6);  // the handler's own FPU use
  g_regs.rsp += 8;     // its ret to the restorer
  SECTION("rt_sigreturn brings the interrupted state back") {
    REQUIRE(sys_rt_sigreturn(f.task) == 0);
    REQUIRE_FALSE(f.task.exiting);
    CHECK(std::memcmp(&g_fpu, &interrupted, 464) == 0);
    CHECK(g_regs.rip == 0x401234);
  }
  SECTION("an MXCSR the CPU cannot load is SIGSEGV, and nothing is written") {
    in_frame.mxcsr |= 1u << 16;
    REQUIRE(f.process.mm.copy_out(fpregs, &in_frame, sizeof(in_frame)));
    const int writes = g_fpu_writes;
    (void)sys_rt_sigreturn(f.task);
    CHECK(f.task.exiting);
    CHECK(f.task.wait_status == kSigsegv);
    CHECK(g_fpu_writes == writes);
    CHECK(g_regs.rip == kHandler);  // the registers were not written either
  }
}

}  // namespace

const ShimServices& shim_services() {
  return fake_services();
}

}  // namespace hmk::lx
